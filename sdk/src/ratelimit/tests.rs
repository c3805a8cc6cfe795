//! GCRA arithmetic, windows never over the caps, deadline refusals, header tightening.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use super::gcra::{reserve, tighten, KeyState, Quota, SECOND_US};
use super::*;

const IM: RateLimitMeta = RateLimitMeta {
    per_second: Some(50),
    per_minute: Some(1000),
};

fn per_second(n: u32) -> RateLimitMeta {
    RateLimitMeta {
        per_second: Some(n),
        per_minute: None,
    }
}

fn per_minute(n: u32) -> RateLimitMeta {
    RateLimitMeta {
        per_second: None,
        per_minute: Some(n),
    }
}

const KEY: RateKey<'static> = RateKey {
    app_id: "cli_a",
    tenant_key: None,
    endpoint_id: "im.v1.message.create",
};

/// Sends `calls` calls as fast as the quota lets them (each at its reserved instant) and
/// returns the instants, in µs.
fn flood(quota: Quota, calls: usize) -> Vec<u64> {
    let mut state = KeyState::default();
    let mut now = 1_000_000_000;
    let mut sent = Vec::with_capacity(calls);
    for _ in 0..calls {
        let wait = reserve(&mut state, now, quota, 1.0, None).unwrap();
        now += wait;
        sent.push(now);
    }
    sent
}

/// The most calls in any half-open window of `window` µs.
fn busiest(sent: &[u64], window: u64) -> usize {
    let mut inside = VecDeque::new();
    let mut most = 0;
    for &t in sent {
        inside.push_back(t);
        while inside.front().is_some_and(|&first| first + window <= t) {
            inside.pop_front();
        }
        most = most.max(inside.len());
    }
    most
}

#[test]
fn quota_of_the_documented_tiers() {
    let q = Quota::of(per_second(50), 1.0);
    assert_eq!(q.second_interval, 20_000);
    assert_eq!((q.minute_interval, q.minute_tolerance), (0, 0));

    // 1000/min & 50/s: a burst of 50, then 951 a minute.
    let q = Quota::of(IM, 1.0);
    assert_eq!(q.second_interval, 20_000);
    assert_eq!(q.minute_interval, 63_092); // ceil(60e6 / 951)
    assert_eq!(q.minute_tolerance, 49 * 63_092);

    // 10/min: no burst (a tenth of the budget is one call).
    let q = Quota::of(per_minute(10), 1.0);
    assert_eq!((q.minute_interval, q.minute_tolerance), (6_000_000, 0));

    // Headroom scales every cap.
    let q = Quota::of(per_second(50), 0.5);
    assert_eq!(q.second_interval, 40_000);

    // No cap, or zero caps: nothing to pace.
    assert!(Quota::of(RateLimitMeta::default(), 1.0).is_none());
    assert!(Quota::of(per_second(0), 1.0).is_none());
    let q = Quota::of(per_second(u32::MAX), 100.0);
    assert_eq!(q.second_interval, 1);
}

#[test]
fn a_flood_never_exceeds_either_cap_in_any_window() {
    let cases = [
        (IM, 1.0),
        (IM, 0.8),
        (per_second(5), 1.0),
        (per_second(1), 1.0),
        (per_second(3), 0.9),
        (per_minute(100), 1.0),
        (per_minute(10), 1.0),
        (
            RateLimitMeta {
                per_second: Some(5),
                per_minute: Some(100),
            },
            1.0,
        ),
    ];
    for (limit, headroom) in cases {
        let quota = Quota::of(limit, headroom);
        let sent = flood(quota, 2_500);
        if let Some(n) = limit.per_second {
            let cap = (f64::from(n) * headroom).ceil() as usize;
            assert!(
                busiest(&sent, SECOND_US) <= cap,
                "{limit:?} × {headroom}: per second"
            );
        }
        if let Some(n) = limit.per_minute {
            let cap = (f64::from(n) * headroom).ceil() as usize;
            let most = busiest(&sent, 60 * SECOND_US);
            assert!(most <= cap, "{limit:?} × {headroom}: {most} in a minute");
        }
    }
}

#[test]
fn the_budget_is_used_not_wasted() {
    // 50/s: 50 calls take 49 intervals of 20 ms.
    let sent = flood(Quota::of(per_second(50), 1.0), 50);
    assert_eq!(sent[49] - sent[0], 49 * 20_000);
    // 1000/min & 50/s: the first 50 go at the per-second pace (a burst within one second),
    // and a minute holds close to the whole budget.
    let sent = flood(Quota::of(IM, 1.0), 2_000);
    assert_eq!(sent[49] - sent[0], 49 * 20_000);
    let most = busiest(&sent, 60 * SECOND_US);
    assert!(most >= 990, "{most}");
}

#[test]
fn a_refused_turn_reserves_nothing() {
    let quota = Quota::of(per_second(10), 1.0);
    let mut state = KeyState::default();
    let now = 5 * SECOND_US;
    assert_eq!(reserve(&mut state, now, quota, 1.0, Some(0)), Ok(0));
    let before = state;
    // The next turn is 100 ms away: refused with 50 ms allowed, the state untouched.
    assert_eq!(
        reserve(&mut state, now, quota, 1.0, Some(50_000)),
        Err(100_000)
    );
    assert_eq!(state, before);
    assert_eq!(
        reserve(&mut state, now, quota, 1.0, Some(100_000)),
        Ok(100_000)
    );
}

#[test]
fn a_429_blocks_the_key_until_its_reset() {
    let quota = Quota::of(per_second(50), 1.0);
    let mut state = KeyState::default();
    let now = 10 * SECOND_US;
    tighten(
        &mut state,
        now,
        &RateSignal::limited(Some(Duration::from_secs(3))),
    );
    assert_eq!(
        reserve(&mut state, now, quota, 1.0, None),
        Ok(3 * SECOND_US)
    );
    // Then the calls are paced again from the end of the block.
    assert_eq!(
        reserve(&mut state, now, quota, 1.0, None),
        Ok(3 * SECOND_US + 20_000)
    );
    // Without a reset header: blocked for a second.
    let mut state = KeyState::default();
    tighten(&mut state, now, &RateSignal::limited(None));
    assert_eq!(reserve(&mut state, now, quota, 1.0, None), Ok(SECOND_US));
    // A block applies even to an endpoint without a documented limit.
    let mut state = KeyState::default();
    tighten(&mut state, now, &RateSignal::limited(None));
    let none = Quota::of(RateLimitMeta::default(), 1.0);
    assert_eq!(reserve(&mut state, now, none, 1.0, None), Ok(SECOND_US));
}

#[test]
fn an_announced_limit_caps_the_rate_for_at_least_a_minute() {
    let quota = Quota::of(per_second(50), 1.0);
    let mut state = KeyState::default();
    let now = SECOND_US;
    tighten(&mut state, now, &RateSignal::announced(10, None));
    assert_eq!(reserve(&mut state, now, quota, 1.0, None), Ok(0));
    assert_eq!(reserve(&mut state, now, quota, 1.0, None), Ok(100_000));
    // Headroom applies to it too: 10 × 0.5 = 5/s.
    let mut halved = KeyState::default();
    tighten(&mut halved, now, &RateSignal::announced(10, None));
    reserve(&mut halved, now, quota, 0.5, None).unwrap();
    assert_eq!(reserve(&mut halved, now, quota, 0.5, None), Ok(200_000));
    // A limit above the documented one loosens nothing.
    let mut state = KeyState::default();
    tighten(&mut state, now, &RateSignal::announced(500, None));
    reserve(&mut state, now, quota, 1.0, None).unwrap();
    assert_eq!(reserve(&mut state, now, quota, 1.0, None), Ok(20_000));
    // After the hold the documented limit is back.
    let mut state = KeyState::default();
    tighten(&mut state, now, &RateSignal::announced(1, None));
    let later = now + 61 * SECOND_US;
    reserve(&mut state, later, quota, 1.0, None).unwrap();
    assert_eq!(reserve(&mut state, later, quota, 1.0, None), Ok(20_000));
    // A longer reset holds it longer.
    let mut state = KeyState::default();
    tighten(
        &mut state,
        now,
        &RateSignal::announced(1, Some(Duration::from_secs(120))),
    );
    reserve(&mut state, later, quota, 1.0, None).unwrap();
    assert_eq!(reserve(&mut state, later, quota, 1.0, None), Ok(SECOND_US));
}

#[test]
fn signals_from_answers() {
    let mut headers = HeaderMap::new();
    assert_eq!(RateSignal::from_answer(200, Some(0), &headers), None);
    assert_eq!(RateSignal::from_answer(400, Some(230001), &headers), None);
    assert_eq!(RateSignal::from_answer(500, None, &headers), None);
    assert_eq!(
        RateSignal::from_answer(429, None, &headers),
        Some(RateSignal::limited(None))
    );
    assert_eq!(
        RateSignal::from_answer(400, Some(99991400), &headers),
        Some(RateSignal::limited(None))
    );
    assert_eq!(
        RateSignal::from_answer(200, Some(99991400), &headers),
        Some(RateSignal::limited(None))
    );
    headers.insert("x-ogw-ratelimit-limit", HeaderValue::from_static("50"));
    headers.insert("x-ogw-ratelimit-reset", HeaderValue::from_static("2"));
    let two = Some(Duration::from_secs(2));
    assert_eq!(
        RateSignal::from_answer(429, Some(99991400), &headers),
        Some(RateSignal {
            limited: true,
            limit: Some(50),
            reset: two,
        })
    );
    assert_eq!(
        RateSignal::from_answer(200, Some(0), &headers),
        Some(RateSignal::announced(50, two))
    );
    // A reset alone on a success says nothing.
    headers.remove("x-ogw-ratelimit-limit");
    assert_eq!(RateSignal::from_answer(200, Some(0), &headers), None);
}

#[test]
fn announced_limit_parsing_refuses_garbage() {
    let parse = |v: &[u8]| {
        let mut h = HeaderMap::new();
        h.insert("X-Ogw-RateLimit-Limit", HeaderValue::from_bytes(v).unwrap());
        announced_limit(&h)
    };
    assert_eq!(parse(b"50"), Some(50));
    assert_eq!(parse(b" 7 "), Some(7));
    assert_eq!(parse(b"4294967295"), Some(u32::MAX));
    for garbage in [
        &b"0"[..],
        b"",
        b"-1",
        b"+5",
        b"1.5",
        b"50/s",
        b"4294967296",
        b"99999999999999999999",
        b"\xff",
    ] {
        assert_eq!(parse(garbage), None, "{garbage:?}");
    }
    assert_eq!(announced_limit(&HeaderMap::new()), None);
}

#[test]
fn limits_overrides_and_headroom() {
    let limits = RateLimits::new()
        .limit("im.v1.message.create", 5)
        .limit_per_minute("im.v1.chat.list", 0)
        .limit("x.v1.undocumented.get", 2);
    assert_eq!(
        limits.effective("im.v1.message.create", IM),
        RateLimitMeta {
            per_second: Some(5),
            per_minute: Some(1000),
        }
    );
    assert_eq!(
        limits.effective("im.v1.chat.list", IM),
        RateLimitMeta {
            per_second: Some(50),
            per_minute: Some(0),
        }
    );
    assert_eq!(
        limits.effective("x.v1.undocumented.get", RateLimitMeta::default()),
        per_second(2)
    );
    assert_eq!(limits.effective("im.v1.pin.list", IM), IM);
    assert!(
        limits
            .quota("im.v1.message.create", RateLimitMeta::default())
            .second_interval
            == 200_000
    );
    assert_eq!(RateLimits::new().headroom(f64::NAN).headroom_factor(), 1.0);
    assert_eq!(RateLimits::new().headroom(-3.0).headroom_factor(), 0.01);
    assert_eq!(
        RateLimits::new().headroom(f64::INFINITY).headroom_factor(),
        100.0
    );
    assert_eq!(RateLimits::new().headroom(0.8).headroom_factor(), 0.8);
}

#[test]
fn storage_ids_name_app_tenant_and_endpoint() {
    assert_eq!(KEY.storage_id(), "cli_a:-:im.v1.message.create");
    let store = RateKey {
        tenant_key: Some("t1"),
        ..KEY
    };
    assert_eq!(store.storage_id(), "cli_a:t1:im.v1.message.create");
}

#[tokio::test(start_paused = true)]
async fn in_process_calls_wait_their_turn() {
    let limiter = InProcessLimiter::new();
    let start = tokio::time::Instant::now();
    for _ in 0..3 {
        limiter.acquire(&KEY, per_second(2), None).await.unwrap();
    }
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    // Another tenant has its own budget.
    let other = RateKey {
        tenant_key: Some("t2"),
        ..KEY
    };
    limiter.acquire(&other, per_second(2), None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    // Clones share the budget.
    let clone = limiter.clone();
    clone.acquire(&KEY, per_second(2), None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    // Endpoints without a limit are not paced.
    for _ in 0..100 {
        limiter
            .acquire(&KEY, RateLimitMeta::default(), None)
            .await
            .unwrap();
    }
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn concurrent_calls_are_spaced() {
    let limiter = std::sync::Arc::new(InProcessLimiter::new().limit("e.v1.r.m", 10));
    let key = RateKey {
        endpoint_id: "e.v1.r.m",
        ..KEY
    };
    let start = tokio::time::Instant::now();
    let calls = (0..20).map(|_| {
        let limiter = limiter.clone();
        tokio::spawn(async move {
            limiter
                .acquire(&key, RateLimitMeta::default(), None)
                .await
                .unwrap();
            start.elapsed()
        })
    });
    let mut done: Vec<Duration> = Vec::new();
    for call in calls {
        done.push(call.await.unwrap());
    }
    done.sort();
    for (i, at) in done.iter().enumerate() {
        assert_eq!(*at, Duration::from_millis(100 * i as u64));
    }
}

#[tokio::test(start_paused = true)]
async fn a_turn_after_the_deadline_fails_at_once() {
    let limiter = InProcessLimiter::new();
    let limit = per_second(1);
    limiter.acquire(&KEY, limit, None).await.unwrap();
    let start = tokio::time::Instant::now();
    let deadline = crate::clock::now() + Duration::from_millis(300);
    let err = limiter
        .acquire(&KEY, limit, Some(deadline))
        .await
        .unwrap_err();
    // No waiting for the refusal.
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(err.wait(), Duration::from_secs(1));
    let RateLimitError::DeadlineTooSoon {
        endpoint,
        time_left,
        ..
    } = &err;
    assert_eq!(endpoint, "im.v1.message.create");
    assert_eq!(*time_left, Some(Duration::from_millis(300)));
    assert_eq!(
        err.to_string(),
        "im.v1.message.create: the client-side rate limit gives this call its turn in 1s, \
         after its deadline (in 300ms); nothing was sent"
    );
    // The refused call took no turn: a patient one gets the next.
    let deadline = crate::clock::now() + Duration::from_secs(2);
    limiter.acquire(&KEY, limit, Some(deadline)).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn observed_429_holds_every_caller_of_the_key() {
    let limiter = InProcessLimiter::new();
    let start = tokio::time::Instant::now();
    limiter
        .observe(&KEY, &RateSignal::limited(Some(Duration::from_secs(2))))
        .await;
    limiter.acquire(&KEY, IM, None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    // Other endpoints are not held.
    let other = RateKey {
        endpoint_id: "im.v1.chat.list",
        ..KEY
    };
    limiter.acquire(&other, IM, None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn idle_keys_are_swept() {
    let limiter = InProcessLimiter::new();
    for round in 0..3 {
        for i in 0..5_000 {
            let id = format!("r{round}t{i}");
            let key = RateKey {
                tenant_key: Some(&id),
                ..KEY
            };
            limiter.acquire(&key, per_second(100), None).await.unwrap();
        }
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    // 15 000 keys were used, but the idle ones of earlier rounds went.
    assert!(limiter.key_count() <= 10_000, "{}", limiter.key_count());
}

#[tokio::test(start_paused = true)]
async fn a_tenant_named_dash_has_its_own_budget() {
    // A tenant key `-` is not the app-level key (no tenant), as in the Redis key names.
    let limiter = InProcessLimiter::new();
    let dash = RateKey {
        tenant_key: Some("-"),
        ..KEY
    };
    let start = tokio::time::Instant::now();
    limiter.acquire(&KEY, per_second(1), None).await.unwrap();
    limiter.acquire(&dash, per_second(1), None).await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(limiter.key_count(), 2);
}

#[cfg(feature = "redis")]
#[test]
fn hostile_script_answers_are_refused() {
    use ::redis::Value;
    let parse = super::redis::parse_turn;
    assert_eq!(
        parse(&Value::Array(vec![Value::Int(1), Value::Int(2_000)])),
        Some(Ok(Duration::from_millis(2)))
    );
    assert_eq!(
        parse(&Value::Array(vec![Value::Int(0), Value::Int(5)])),
        Some(Err(Duration::from_micros(5)))
    );
    // A negative wait is no wait; a huge one is cut to MAX_WAIT.
    assert_eq!(
        parse(&Value::Array(vec![Value::Int(1), Value::Int(-7)])),
        Some(Ok(Duration::ZERO))
    );
    assert_eq!(
        parse(&Value::Array(vec![Value::Int(1), Value::Int(i64::MAX)])),
        Some(Ok(MAX_WAIT))
    );
    for garbage in [
        Value::Nil,
        Value::Int(1),
        Value::Okay,
        Value::Array(vec![]),
        Value::Array(vec![Value::Int(1)]),
        Value::Array(vec![Value::Int(2), Value::Int(0)]),
        Value::Array(vec![Value::Int(1), Value::Int(0), Value::Int(0)]),
        Value::Array(vec![Value::BulkString(b"1".to_vec()), Value::Int(0)]),
        Value::BulkString(b"nope".to_vec()),
    ] {
        assert_eq!(parse(&garbage), None, "{garbage:?}");
    }
}

#[cfg(feature = "redis")]
#[test]
fn redis_keys_name_no_secret_and_do_not_collide() {
    let limiter = RedisRateLimiter::new("redis://127.0.0.1:1").unwrap();
    assert_eq!(
        limiter.rate_key_name(&KEY),
        "lark:rate:cli_a:-:im.v1.message.create"
    );
    let tenant_dash = RateKey {
        tenant_key: Some("-"),
        ..KEY
    };
    let colon = RateKey {
        app_id: "cli_a:x",
        ..KEY
    };
    let limiter = limiter.prefix("bot");
    assert_eq!(
        limiter.rate_key_name(&tenant_dash),
        "bot:rate:cli_a:%2D:im.v1.message.create"
    );
    assert_eq!(
        limiter.rate_key_name(&colon),
        "bot:rate:cli_a%3Ax:-:im.v1.message.create"
    );
    assert!(RedisRateLimiter::new("not a url").is_err());
    // The URL (and its password) stays out of Debug.
    let with_password = RedisRateLimiter::new("redis://:hunter2@127.0.0.1:1").unwrap();
    assert!(!format!("{with_password:?}").contains("hunter2"));
}
