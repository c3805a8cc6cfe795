//! Tokens and event deduplication shared on a real `redis-server` (started per test by
//! `lark_tests::redis`): several clients with their own caches act as one for the platform;
//! a rejected token is evicted only while it is the stored one; a Redis that is down or
//! frozen costs no call (fallback, logged once per outage) and is used again when it is
//! back; the Redis keys hold no secret; hostile values under the keys are replaced.

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lark_openapi::auth::TokenKey;
use lark_openapi::events::{Channel, DedupStore, Dispatcher};
use lark_openapi::shared::{RedisDedup, RedisTokenStore, TokenStore, TokenStoreKey};
use lark_openapi::Client;
use lark_tests::harness::logs::CapturedLogs;
use lark_tests::redis::{RedisServer, Reply};
use lark_tests::{FakeLark, TokenRequestKind};
use support::*;

const APP_ID: &str = "cli_fake_app";
const APP_SECRET: &str = "fake_secret";

fn tenant_key() -> TokenStoreKey {
    TokenStoreKey::new(APP_ID, TokenKey::Tenant(None))
}

/// A store on `redis` with short waits for the tests.
fn store(redis: &RedisServer) -> RedisTokenStore {
    RedisTokenStore::new(&redis.url())
        .expect("valid Redis URL")
        .timeout(Duration::from_millis(300))
        .and_then(|s| s.retry_interval(Duration::from_millis(100)))
        .expect("valid settings")
}

/// A store whose calls are never cut short by a slow machine: an outage here is a refused
/// connection (immediate), never a timeout, so a loaded machine cannot add one.
fn patient_store(redis: &RedisServer) -> RedisTokenStore {
    RedisTokenStore::new(&redis.url())
        .expect("valid Redis URL")
        .timeout(Duration::from_secs(10))
        .and_then(|s| s.retry_interval(Duration::from_millis(100)))
        .expect("valid settings")
}

fn shared_client(fake: &FakeLark, store: &RedisTokenStore) -> Client {
    builder(fake)
        .token_store(store.clone())
        .build()
        .expect("valid client settings")
}

async fn download(client: &Client, key: &str) {
    let bytes = get(client, key)
        .await
        .expect("the call succeeds")
        .collect(1 << 20)
        .await
        .expect("the body arrives");
    assert_eq!(bytes.len(), 64);
}

fn tenant_requests(fake: &FakeLark) -> usize {
    fake.token_requests(TokenRequestKind::TenantInternal)
}

fn hget(redis: &RedisServer, key: &str, field: &str) -> Option<String> {
    match redis.command(&["HGET", key, field]) {
        Ok(Reply::Bulk(s)) => Some(s),
        _ => None,
    }
}

/// Every key with every value (hash fields included), for "no secret in Redis".
fn everything(redis: &RedisServer) -> String {
    let mut out = String::new();
    for key in redis.keys("*") {
        let value = match redis.command(&["TYPE", &key]) {
            Ok(Reply::Status(t)) if t == "hash" => {
                format!("{:?}", redis.command(&["HGETALL", &key]))
            }
            _ => format!("{:?}", redis.get(&key)),
        };
        out.push_str(&format!("{key} = {value}\n"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_redis_make_one_token_request_for_a_cold_burst() {
    // One store (and connection) per client, as separate processes would have.
    cold_burst(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_one_redis_store_make_one_token_request_for_a_cold_burst() {
    cold_burst(true).await;
}

/// 200 concurrent cold calls spread over 4 clients, each with its own token cache.
async fn cold_burst(one_store: bool) {
    let redis = RedisServer::start();
    let fake = fake().await;
    file(&fake, "file_burst", 64);
    let common = store(&redis);
    let clients: Vec<Client> = (0..4)
        .map(|_| {
            let store = if one_store {
                common.clone()
            } else {
                store(&redis)
            };
            shared_client(&fake, &store)
        })
        .collect();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            tokio::spawn(async move { download(&client, "file_burst").await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(tenant_requests(&fake), 1, "{}", redis.dump());
    assert_eq!(fake.resource_requests(), 200);

    // The key layout: the token hash under the app and tenant, expiring with the token;
    // no lock left behind; neither the app secret nor the app id's secret anywhere.
    let key = "lark:token:cli_fake_app:tenant:-";
    assert_eq!(redis.keys("*"), vec![key.to_string()], "{}", redis.dump());
    let token = hget(&redis, key, "token").expect("token stored");
    assert!(token.starts_with("t-"), "{token}");
    let lifetime: u64 = hget(&redis, key, "lifetime_ms").unwrap().parse().unwrap();
    assert!(lifetime > 7_000_000 && lifetime <= 7_200_000, "{lifetime}");
    let pttl = redis.pttl(key).unwrap();
    assert!(pttl > 7_000_000 && pttl <= 7_200_000, "{pttl}");
    let all = everything(&redis);
    assert!(!all.contains(APP_SECRET), "{all}");
    assert_eq!(store(&redis).token_key_name(&tenant_key()), key);
    assert_eq!(
        store(&redis).lock_key_name(&tenant_key()),
        "lark:lock:cli_fake_app:tenant:-"
    );
    // Every request carried the one token.
    let bearers: std::collections::HashSet<_> = fake
        .requests_log()
        .into_iter()
        .filter(|r| r.path_and_query.starts_with("/open-apis/im/"))
        .map(|r| r.bearer)
        .collect();
    assert_eq!(bearers.len(), 1, "{bearers:?}");
}

#[tokio::test]
async fn a_rejected_token_is_evicted_only_while_it_is_the_stored_one() {
    let redis = RedisServer::start();
    let fake = fake().await;
    file(&fake, "file_rot", 64);
    let (a, b) = (
        shared_client(&fake, &store(&redis)),
        shared_client(&fake, &store(&redis)),
    );
    download(&a, "file_rot").await;
    download(&b, "file_rot").await;
    assert_eq!(tenant_requests(&fake), 1);
    let key = "lark:token:cli_fake_app:tenant:-";
    let t1 = hget(&redis, key, "token").unwrap();

    // A rotation: A's request is rejected, A evicts t1 and stores t2.
    fake.revoke_tokens();
    download(&a, "file_rot").await;
    assert_eq!(tenant_requests(&fake), 2);
    let t2 = hget(&redis, key, "token").unwrap();
    assert_ne!(t1, t2);
    // B's cached t1 is rejected too, later: its eviction leaves t2, which B takes.
    download(&b, "file_rot").await;
    assert_eq!(
        tenant_requests(&fake),
        2,
        "B must not fetch: {}",
        redis.dump()
    );
    assert_eq!(hget(&redis, key, "token").unwrap(), t2);
    let log = fake.requests_log();
    let last = log
        .iter()
        .rev()
        .find(|r| r.path_and_query.starts_with("/open-apis/im/"))
        .unwrap();
    assert_eq!(last.status, 200);
    assert_eq!(last.bearer.as_deref(), Some(t2.as_str()));

    // A late report about t1 (compare-and-delete with the wrong token) deletes nothing.
    let s = store(&redis);
    assert!(!s
        .compare_and_delete(&tenant_key(), &lark_openapi::auth::Secret::from(t1))
        .await
        .unwrap());
    assert!(s
        .compare_and_delete(&tenant_key(), &lark_openapi::auth::Secret::from(t2))
        .await
        .unwrap());
    assert!(redis.keys("*").is_empty());
}

const DOWN: &str = "shared store unreachable";
const BACK: &str = "shared store answers again";

/// Waits until the store answers again (the first call after a restart may still fail
/// while the connection is re-established).
async fn until_up(store: &RedisTokenStore) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.get(&tenant_key()).await.is_err() {
        assert!(Instant::now() < deadline, "Redis did not come back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn redis_down_costs_no_call_is_logged_once_and_is_used_again_when_back() {
    let (logs, _guard) = CapturedLogs::install(tracing::Level::DEBUG);

    let mut redis = RedisServer::start();
    let fake = fake().await;
    file(&fake, "file_down", 64);
    let shared = patient_store(&redis);
    let (a, b) = (shared_client(&fake, &shared), shared_client(&fake, &shared));
    download(&a, "file_down").await;
    download(&b, "file_down").await;
    assert_eq!(tenant_requests(&fake), 1);

    // Redis dies; the tokens rotate: every call still succeeds, each client fetching its
    // own token (no store), and the outage is logged once, not per call.
    redis.stop();
    fake.revoke_tokens();
    for _ in 0..10 {
        download(&a, "file_down").await;
        download(&b, "file_down").await;
    }
    assert_eq!(tenant_requests(&fake), 3);
    assert!(shared.is_down());
    // Another rotation during the outage: still no failure, still one warning.
    fake.revoke_tokens();
    tokio::time::sleep(Duration::from_millis(150)).await;
    download(&a, "file_down").await;
    download(&b, "file_down").await;
    assert_eq!(tenant_requests(&fake), 5);
    assert_eq!(logs.count(DOWN), 1, "{}", logs.text());
    assert_eq!(logs.count(BACK), 0, "{}", logs.text());

    // Redis is back (empty): once it answers, the clients share again.
    redis.restart();
    until_up(&shared).await;
    assert_eq!(logs.count(BACK), 1, "{}", logs.text());
    fake.revoke_tokens();
    download(&a, "file_down").await;
    download(&b, "file_down").await;
    assert_eq!(
        tenant_requests(&fake),
        6,
        "one request for both: {}",
        redis.dump()
    );
    for _ in 0..5 {
        download(&a, "file_down").await;
        download(&b, "file_down").await;
    }
    assert_eq!(tenant_requests(&fake), 6);
    assert_eq!(logs.count(DOWN), 1, "{}", logs.text());
    assert_eq!(logs.count(BACK), 1, "{}", logs.text());
    let text = logs.text();
    assert!(!text.contains(APP_SECRET), "{text}");
    let token = hget(&redis, "lark:token:cli_fake_app:tenant:-", "token").unwrap();
    assert!(!text.contains(&token), "{text}");
}

#[tokio::test]
async fn a_frozen_redis_delays_a_token_fetch_by_its_timeout_at_most() {
    let mut redis = RedisServer::start();
    let fake = fake().await;
    file(&fake, "file_frozen", 64);
    let shared = store(&redis);
    let client = shared_client(&fake, &shared);
    download(&client, "file_frozen").await;

    // SIGSTOP: connections hang instead of failing.
    redis.pause();
    fake.revoke_tokens();
    let started = Instant::now();
    download(&client, "file_frozen").await;
    let took = started.elapsed();
    // One Redis call times out (300 ms); the following ones are skipped during the retry
    // interval, so the fetch goes straight to the platform.
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(shared.is_down());
    assert_eq!(tenant_requests(&fake), 2);
    redis.resume();
    until_up(&shared).await;
    assert!(!shared.is_down());
}

#[tokio::test]
async fn hostile_values_under_the_token_key_are_replaced() {
    let redis = RedisServer::start();
    let fake = fake().await;
    file(&fake, "file_hostile", 64);
    let key = "lark:token:cli_fake_app:tenant:-";
    let hostile: [&[&str]; 5] = [
        &["SET", key, "not-a-hash"],
        &[
            "HSET",
            key,
            "token",
            "bad\r\ntoken",
            "lifetime_ms",
            "7200000",
        ],
        &["HSET", key, "token", "", "lifetime_ms", "7200000"],
        &["HSET", key, "nothing", "here"],
        &["RPUSH", key, "a", "b"],
    ];
    let mut expected_requests = 0;
    for command in hostile {
        redis.command(&["DEL", key]).unwrap();
        redis.command(command).unwrap();
        redis.command(&["PEXPIRE", key, "7200000"]).unwrap();
        // A fresh client (cold cache) reads the hostile value, ignores it, fetches and
        // overwrites it.
        let client = shared_client(&fake, &store(&redis));
        download(&client, "file_hostile").await;
        expected_requests += 1;
        assert_eq!(tenant_requests(&fake), expected_requests, "{command:?}");
        let token = hget(&redis, key, "token").unwrap_or_default();
        assert!(
            token.starts_with("t-"),
            "{command:?}: {}",
            everything(&redis)
        );
    }
    // A hostile lock value (not ours, no TTL) costs at most twice the lock TTL, then the
    // client fetches itself.
    redis.command(&["DEL", key]).unwrap();
    redis
        .command(&["HSET", "lark:lock:cli_fake_app:tenant:-", "x", "y"])
        .unwrap();
    let client = builder(&fake)
        .token_store(store(&redis))
        .token_lock_ttl(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    download(&client, "file_hostile").await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(tenant_requests(&fake), expected_requests + 1);
}

#[tokio::test]
async fn a_lock_left_by_a_dead_replica_delays_the_others_by_at_most_its_ttl() {
    let redis = RedisServer::start();
    let fake = fake().await;
    file(&fake, "file_lock", 64);
    // A replica took the lock and died.
    let ttl = Duration::from_millis(800);
    let dead = store(&redis);
    dead.lock(&tenant_key(), ttl)
        .await
        .unwrap()
        .expect("lock free");
    let client = builder(&fake)
        .token_store(store(&redis))
        .token_lock_ttl(ttl)
        .build()
        .unwrap();
    let started = Instant::now();
    download(&client, "file_lock").await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(took < ttl + Duration::from_millis(600), "{took:?}");
    assert_eq!(tenant_requests(&fake), 1);
    // The new holder released its lock.
    assert!(redis.keys("lark:lock:*").is_empty(), "{}", redis.dump());
}

#[tokio::test]
async fn an_event_pushed_to_two_replicas_is_handled_once() {
    let redis = RedisServer::start();
    let handled = Arc::new(AtomicUsize::new(0));
    let dispatcher = |handled: Arc<AtomicUsize>| {
        let dedup = RedisDedup::new(&redis.url(), APP_ID)
            .unwrap()
            .timeout(Duration::from_millis(300))
            .unwrap();
        Dispatcher::builder()
            .dedup(dedup)
            .on_unknown(move |_raw| {
                let handled = Arc::clone(&handled);
                async move {
                    handled.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
            .build()
    };
    let (one, two) = (dispatcher(handled.clone()), dispatcher(handled.clone()));
    let body = |id: &str| {
        serde_json::to_vec(&serde_json::json!({
            "schema": "2.0",
            "header": {
                "event_id": id,
                "event_type": "im.chat.updated_v1",
                "create_time": "1700000000000",
                "token": "fake_verification_token",
                "app_id": APP_ID,
                "tenant_key": "tenant_1",
            },
            "event": {},
        }))
        .unwrap()
    };
    for id in ["ev_1", "ev_2", "ev:3"] {
        let body = body(id);
        let (x, y) = tokio::join!(
            one.dispatch(&body, Channel::Webhook),
            two.dispatch(&body, Channel::LongConnection)
        );
        assert!(x.is_ok() && y.is_ok());
        // Pushed again to the first one.
        assert!(one.dispatch(&body, Channel::Webhook).await.is_ok());
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while handled.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(handled.load(Ordering::SeqCst), 3);
    let keys = redis.keys("lark:event:*");
    assert_eq!(
        keys,
        vec![
            "lark:event:cli_fake_app:ev%3A3".to_string(),
            "lark:event:cli_fake_app:ev_1".to_string(),
            "lark:event:cli_fake_app:ev_2".to_string(),
        ]
    );
    let pttl = redis.pttl(&keys[0]).unwrap();
    assert!(pttl > 11 * 3600 * 1000, "{pttl}");
}

/// The review's finding 15: a lock key left without a TTL by a foreign writer was never
/// cleaned up (every fetch waited twice the lock TTL on it, forever). Every key the SDK
/// waits on now ends: one found without a TTL is given the lock's.
#[tokio::test]
async fn a_foreign_lock_without_a_ttl_is_given_one() {
    let redis = RedisServer::start();
    let fake = fake().await;
    file(&fake, "file_foreign", 64);
    let lock = "lark:lock:cli_fake_app:tenant:-";
    redis.command(&["SET", lock, "a foreign writer"]).unwrap();
    assert_eq!(redis.pttl(lock), Some(-1));
    let client = builder(&fake)
        .token_store(store(&redis))
        .token_lock_ttl(Duration::from_millis(300))
        .build()
        .unwrap();
    download(&client, "file_foreign").await;
    assert_eq!(tenant_requests(&fake), 1);
    assert_ne!(redis.pttl(lock), Some(-1), "{}", redis.dump());
}

/// The review's finding 10: `RedisDedup::ttl(Duration::MAX)` was accepted, Redis refused
/// every write, and the refusal marked the connection down, for the token store and the
/// limiter sharing it too. A TTL Redis would refuse is refused when it is set; and an error
/// reply is an answer, not an outage.
#[tokio::test]
async fn an_error_reply_is_not_an_outage() {
    let redis = RedisServer::start();
    let shared = store(&redis);
    assert!(RedisDedup::from_token_store(&shared, APP_ID)
        .ttl(Duration::MAX)
        .is_err());
    let dedup = RedisDedup::from_token_store(&shared, APP_ID);
    assert!(dedup.first_seen("ev_before").await);
    // Redis refuses every write from now on (out of memory, no eviction).
    redis
        .command(&["CONFIG", "SET", "maxmemory-policy", "noeviction"])
        .unwrap();
    redis.command(&["CONFIG", "SET", "maxmemory", "1"]).unwrap();
    let refused = redis.command(&["SET", "probe", "1"]);
    assert!(
        matches!(&refused, Ok(Reply::Error(e)) if e.starts_with("OOM")),
        "{refused:?}"
    );
    assert!(dedup.first_seen("ev_refused").await, "handled, not lost");
    assert!(
        !dedup.first_seen("ev_refused").await,
        "the local record still works"
    );
    assert!(!dedup.is_down());
    assert!(
        !shared.is_down(),
        "the token store sharing the connection is not down"
    );
    redis.command(&["CONFIG", "SET", "maxmemory", "0"]).unwrap();
}
