//! The Lua scripts of the Redis token store. Each runs atomically on the server and touches
//! one key, so they also work on a Redis Cluster. Sent with `EVALSHA` (falling back to
//! `EVAL` once per server when the script is not cached there).

use std::sync::LazyLock;

use ::redis::Script;

/// `KEYS[1]` token key. Answers `{token, lifetime_ms, pttl_ms}`, or nil when the key is
/// missing, not a hash, has no token or no expiry.
pub(crate) const GET_TOKEN: &str = r#"
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return false end
local v = redis.call('HMGET', KEYS[1], 'token', 'lifetime_ms')
local ttl = redis.call('PTTL', KEYS[1])
if not v[1] or ttl <= 0 then return false end
return {v[1], v[2] or '0', ttl}
"#;

/// `KEYS[1]` token key, `ARGV[1]` token, `ARGV[2]` lifetime in ms (> 0). Replaces the
/// entry: a hash `{token, lifetime_ms}` expiring after the lifetime.
pub(crate) const PUT_TOKEN: &str = r#"
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'lifetime_ms', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"#;

/// `KEYS[1]` token key, `ARGV[1]` the rejected token. Deletes the entry only if it still
/// holds that token; answers 1 if it did, else 0.
pub(crate) const COMPARE_AND_DELETE: &str = r#"
if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// `KEYS[1]` lock key, `ARGV[1]` the holder's lock id. Deletes the lock only if that id
/// still holds it; answers 1 if it did, else 0.
pub(crate) const UNLOCK: &str = r#"
if redis.call('TYPE', KEYS[1]).ok == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// `KEYS[1]` key, `ARGV[1]` value, `ARGV[2]` TTL in ms (> 0). `SET … NX PX`: answers 1 if
/// it created the key, else 0; a key found without a TTL (never written so by the SDK) is
/// given this one, so that it ends.
pub(crate) const SET_NX_PX: &str = r#"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"#;

pub(crate) static SET_NX_PX_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SET_NX_PX));
pub(crate) static GET_TOKEN_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(GET_TOKEN));
pub(crate) static PUT_TOKEN_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(PUT_TOKEN));
pub(crate) static COMPARE_AND_DELETE_SCRIPT: LazyLock<Script> =
    LazyLock::new(|| Script::new(COMPARE_AND_DELETE));
pub(crate) static UNLOCK_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(UNLOCK));
