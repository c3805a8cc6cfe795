//! The client-side rate limiter against the fake's enforced limit (a token bucket per
//! tenant × endpoint, answering 429 / 99991400 with `x-ogw-ratelimit-*`): clients sending
//! as fast as they can meet no 429 when they share a limiter (on a real `redis-server`,
//! started per test by `lark_tests::redis`, or in process), and do without one; a 429 seen
//! by one client holds the others; an announced limit lower than the documented one is
//! learnt; a turn past the deadline fails at once; Redis down falls back to the
//! in-process limiter and comes back.

use crate::support;

use std::time::{Duration, Instant};

use lark_openapi::ratelimit::{InProcessLimiter, RateLimitError, RateLimiter, RedisRateLimiter};
use lark_openapi::{Client, Error};
use lark_tests::redis::{RedisServer, Reply};
use lark_tests::{FakeConfig, FakeLark, FakeRateLimit, Fault};
use support::*;

/// The endpoint every call reads: `GET /open-apis/im/v1/chats/oc_fake_1`, documented at
/// 1000/min and 50/s.
const ENDPOINT: &str = "im.v1.chat.get";
const CHAT: &str = "oc_fake_1";

async fn limited_fake(limit: FakeRateLimit) -> FakeLark {
    FakeLark::start(FakeConfig {
        rate_limit: Some(limit),
        ..FakeConfig::default()
    })
    .await
    .expect("fake server starts")
}

fn redis_limiter(redis: &RedisServer) -> RedisRateLimiter {
    RedisRateLimiter::new(&redis.url())
        .expect("valid Redis URL")
        .timeout(Duration::from_millis(300))
        .and_then(|l| l.retry_interval(Duration::from_millis(100)))
        .expect("valid settings")
}

fn client_with(fake: &FakeLark, limiter: Option<impl RateLimiter>) -> Client {
    let builder = builder(fake);
    match limiter {
        Some(limiter) => builder.rate_limiter(limiter),
        None => builder,
    }
    .build()
    .expect("valid client settings")
}

/// `calls` concurrent calls spread over `clients`; the failures.
async fn flood(clients: &[Client], calls: usize) -> Vec<Error> {
    let tasks: Vec<_> = (0..calls)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            tokio::spawn(async move { client.im().v1().chat().get(CHAT).send().await })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.expect("the task ends") {
            failures.push(e.into());
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_sharing_a_redis_limiter_meet_no_429() {
    let redis = RedisServer::start();
    let fake = limited_fake(FakeRateLimit::per_second(20)).await;
    let limiter = redis_limiter(&redis).limit(ENDPOINT, 20);
    // Two clients with their own limiter objects: only Redis is shared.
    let clients = [
        client_with(&fake, Some(limiter.clone())),
        client_with(&fake, Some(redis_limiter(&redis).limit(ENDPOINT, 20))),
    ];
    let started = Instant::now();
    let failures = flood(&clients, 60).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(fake.rate_limited(), 0, "the fake refused calls");
    assert_eq!(fake.requests_for(ENDPOINT).len(), 60);
    // 60 calls at 20/s: about 3 s (the first at once).
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(2_800), "{elapsed:?}");
    assert!(!limiter.is_down());

    // The budget lives under one key naming app, tenant and endpoint, and no secret.
    let keys = redis.keys("*:rate:*");
    assert_eq!(keys, vec![format!("lark:rate:cli_fake_app:-:{ENDPOINT}")]);
    let Ok(Reply::Array(fields)) = redis.command(&["HGETALL", &keys[0]]) else {
        panic!("the key is a hash");
    };
    let text = format!("{fields:?}");
    assert!(!text.contains("fake_secret"), "{text}");
    assert!(
        text.contains("Bulk(\"s\")") && text.contains("Bulk(\"m\")"),
        "{text}"
    );
    let Ok(Reply::Int(ttl)) = redis.command(&["PTTL", &keys[0]]) else {
        panic!("PTTL answers");
    };
    assert!(ttl > 0 && ttl < 70_000, "the key expires: {ttl} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_limiter_the_same_flood_is_refused() {
    let fake = limited_fake(FakeRateLimit::per_second(20)).await;
    let no_limiter: Option<InProcessLimiter> = None;
    let clients = [
        client_with(&fake, no_limiter.clone()),
        client_with(&fake, no_limiter),
    ];
    flood(&clients, 60).await;
    assert!(
        fake.rate_limited_for(ENDPOINT) > 0,
        "60 calls at once over a 20/s bucket"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_limit_is_enough_against_the_documented_enforcement() {
    // The fake enforces each endpoint's spec limit (50/s); the limiter paces by the same
    // spec (50/s, 1000/min) with nothing configured.
    let fake = limited_fake(FakeRateLimit::from_spec()).await;
    let limiter = InProcessLimiter::new();
    let clients = [
        client_with(&fake, Some(limiter.clone())),
        client_with(&fake, Some(limiter)),
    ];
    let failures = flood(&clients, 120).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(fake.rate_limited(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_seen_by_one_client_holds_the_fleet() {
    let redis = RedisServer::start();
    let fake = fake().await;
    let a = client_with(&fake, Some(redis_limiter(&redis)));
    let b = client_with(&fake, Some(redis_limiter(&redis)));
    // Warm both token caches so that the timing below is only the limiter's.
    a.im().v1().chat().get(CHAT).send().await.unwrap();
    b.im().v1().chat().get(CHAT).send().await.unwrap();
    let before = fake.requests_for(ENDPOINT).len();
    fake.push_endpoint_faults(ENDPOINT, [Fault::RateLimited { reset_secs: 2 }]);
    // `a` meets the 429 (and retries after the announced 2 s).
    let first = tokio::spawn(async move { a.im().v1().chat().get(CHAT).send().await });
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.requests_for(ENDPOINT).len() == before {
        assert!(Instant::now() < deadline, "the first call never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Time for `a` to read the answer and tell Redis.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    // `b`, another client with its own limiter object, waits for the reset before sending.
    b.im().v1().chat().get(CHAT).send().await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1_500) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    first
        .await
        .unwrap()
        .expect("the first call succeeds on its retry");
    assert_eq!(fake.rate_limited(), 0, "the 429 was a pushed fault only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_limit_is_learnt() {
    // The fake allows 5/s while the spec says 50/s: the first burst meets 429s carrying
    // `x-ogw-ratelimit-limit: 5`; from then on the limiter paces at 5/s.
    let fake = limited_fake(FakeRateLimit::per_second(5)).await;
    // A little headroom keeps the learnt pace just under the fake's bucket refill.
    let client = [client_with(
        &fake,
        Some(InProcessLimiter::new().headroom(0.8)),
    )];
    let failures = flood(&client, 12).await;
    assert!(failures.is_empty(), "retries after the reset: {failures:?}");
    let refused = fake.rate_limited_for(ENDPOINT);
    assert!(refused > 0, "the documented 50/s is too fast for the fake");
    // Learnt: a second flood meets no new refusal.
    let failures = flood(&client, 10).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(fake.rate_limited_for(ENDPOINT), refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_past_the_deadline_fails_at_once() {
    let fake = fake().await;
    let client = builder(&fake)
        .timeout(Duration::from_millis(500))
        .rate_limiter(InProcessLimiter::new().limit(ENDPOINT, 1))
        .build()
        .unwrap();
    client.im().v1().chat().get(CHAT).send().await.unwrap();
    let sent = fake.requests_for(ENDPOINT).len();
    let started = Instant::now();
    let err = client.im().v1().chat().get(CHAT).send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(300), "no waiting");
    let Error::RateLimit(RateLimitError::DeadlineTooSoon { endpoint, wait, .. }) = &err else {
        panic!("expected a rate-limit refusal, got {err:?}");
    };
    assert_eq!(endpoint, ENDPOINT);
    assert!(*wait > Duration::from_millis(500), "{wait:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("im.v1.chat.get: the client-side rate limit gives this call its turn in")
            && text.ends_with("nothing was sent"),
        "{text}"
    );
    assert_eq!(fake.requests_for(ENDPOINT).len(), sent, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_falls_back_to_the_process_budget_and_comes_back() {
    let mut redis = RedisServer::start();
    let fake = limited_fake(FakeRateLimit::per_second(20)).await;
    let limiter = redis_limiter(&redis).limit(ENDPOINT, 20);
    let clients = [client_with(&fake, Some(limiter.clone()))];
    assert!(flood(&clients, 10).await.is_empty());
    assert!(!limiter.is_down());

    redis.stop();
    let failures = flood(&clients, 40).await;
    assert!(failures.is_empty(), "no call lost: {failures:?}");
    assert_eq!(fake.rate_limited(), 0, "still paced, in process");
    assert!(limiter.is_down());

    redis.restart();
    // Past the retry interval the next call tries Redis again and uses it.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let mut back = false;
    for _ in 0..50 {
        clients[0].im().v1().chat().get(CHAT).send().await.unwrap();
        if !limiter.is_down() {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "Redis is used again once it answers");
    assert_eq!(redis.keys("*:rate:*").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_costs_at_most_its_timeout_now_and_then() {
    let mut redis = RedisServer::start();
    let fake = fake().await;
    let limiter = redis_limiter(&redis).limit(ENDPOINT, 100);
    let clients = [client_with(&fake, Some(limiter.clone()))];
    assert!(flood(&clients, 5).await.is_empty());
    redis.pause();
    let started = Instant::now();
    // 20 calls one after the other: the first waits the 300 ms timeout, the others go
    // straight to the in-process limiter (Redis is retried once per 100 ms).
    for _ in 0..20 {
        clients[0].im().v1().chat().get(CHAT).send().await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(limiter.is_down());
    assert!(elapsed < Duration::from_secs(6), "{elapsed:?}");
    redis.resume();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_values_under_the_key_are_not_trusted() {
    let redis = RedisServer::start();
    let fake = fake().await;
    let limiter = redis_limiter(&redis).limit(ENDPOINT, 100);
    let client = client_with(&fake, Some(limiter.clone()));
    let key = format!("lark:rate:cli_fake_app:-:{ENDPOINT}");
    // A key of another type.
    redis.command(&["SET", &key, "not a hash"]).unwrap();
    let started = Instant::now();
    client.im().v1().chat().get(CHAT).send().await.unwrap();
    assert!(!limiter.is_down(), "the script replaced the key");
    // Garbage, infinities, negative and far-future times.
    for value in [
        "garbage",
        "inf",
        "-5",
        "1e300",
        "nan",
        "99999999999999999999",
    ] {
        redis.command(&["DEL", &key]).unwrap();
        redis
            .command(&[
                "HSET", &key, "s", value, "m", value, "b", value, "l", value, "lu", value,
            ])
            .unwrap();
        client.im().v1().chat().get(CHAT).send().await.unwrap();
        assert!(!limiter.is_down(), "{value}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
