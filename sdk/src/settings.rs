//! The bounds of every setting, a leaf that the modules which check settings share.

use std::time::Duration;

/// The longest value any duration setting accepts (timeouts, backoffs, waits): 24 hours.
/// Larger values are refused by [`ClientBuilder::build`](crate::ClientBuilder::build) rather
/// than overflowing later.
pub const MAX_DURATION_SETTING: Duration = Duration::from_secs(24 * 60 * 60);

/// The most attempts a [`RetryPolicy`](crate::RetryPolicy) may make.
pub const MAX_ATTEMPTS: u32 = 100;
