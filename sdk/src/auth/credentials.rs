//! App credentials.

use std::fmt;

use super::secret::Secret;

/// How the app is distributed, which decides how tokens are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AppType {
    /// A self-built (custom, "internal") app: tokens come straight from
    /// `app_id` + `app_secret`.
    #[default]
    Custom,
    /// A marketplace (store, ISV) app: the app token needs the `app_ticket`
    /// the platform pushes every hour, and tenant tokens are per `tenant_key`.
    Store,
}

/// An app's `app_id`, `app_secret` and [`AppType`].
///
/// `Debug` shows the `app_id` and type but never the secret.
#[derive(Clone)]
pub struct AppCredentials {
    app_id: String,
    app_secret: Secret,
    app_type: AppType,
}

impl AppCredentials {
    /// Credentials of an app of the given type.
    pub fn new(
        app_id: impl Into<String>,
        app_secret: impl Into<Secret>,
        app_type: AppType,
    ) -> Self {
        AppCredentials {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            app_type,
        }
    }

    /// Credentials of a self-built app ([`AppType::Custom`]).
    pub fn custom(app_id: impl Into<String>, app_secret: impl Into<Secret>) -> Self {
        Self::new(app_id, app_secret, AppType::Custom)
    }

    /// Credentials of a marketplace app ([`AppType::Store`]).
    pub fn store(app_id: impl Into<String>, app_secret: impl Into<Secret>) -> Self {
        Self::new(app_id, app_secret, AppType::Store)
    }

    /// The app id (`cli_...`).
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The app secret.
    pub fn app_secret(&self) -> &Secret {
        &self.app_secret
    }

    /// Whether the app is self-built or a marketplace app.
    pub fn app_type(&self) -> AppType {
        self.app_type
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("app_secret", &self.app_secret)
            .field("app_type", &self.app_type)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_secret() {
        let c = AppCredentials::store("cli_abc", "my-app-secret-123");
        let dbg = format!("{c:?} {c:#?}");
        assert!(dbg.contains("cli_abc"), "{dbg}");
        assert!(dbg.contains("Store"), "{dbg}");
        assert!(!dbg.contains("my-app-secret-123"), "{dbg}");
        assert_eq!(c.app_secret().expose(), "my-app-secret-123");
        assert_eq!(AppType::default(), AppType::Custom);
        assert_eq!(AppCredentials::custom("a", "b").app_type(), AppType::Custom);
    }
}
