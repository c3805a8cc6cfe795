//! `x-lark-rate-limit.tier` to a documented limit, by the platform's frequency-control
//! tiers (platform-facts.md §4).

use lark_codegen::spec::RateLimit;

/// The limit of a tier; `None` for tier 0 and tiers not in the table.
pub fn of_tier(tier: i64) -> Option<RateLimit> {
    let (per_minute, per_second) = match tier {
        1 => (Some(10), None),
        2 => (Some(20), None),
        3 => (Some(100), None),
        4 => (Some(1000), Some(50)),
        5 => (None, Some(1)),
        6 => (None, Some(5)),
        7 => (None, Some(10)),
        8 => (None, Some(20)),
        9 => (None, Some(50)),
        // 100/s for commercial self-built apps; 50/s is what every app gets.
        10 => (None, Some(50)),
        11 => (None, Some(100)),
        21 => (None, Some(3)),
        _ => return None,
    };
    Some(RateLimit {
        per_minute,
        per_second,
    })
}
