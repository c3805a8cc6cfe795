//! Access tokens: secrets, the per-client token cache, store-app tickets.
