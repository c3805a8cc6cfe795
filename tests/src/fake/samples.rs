//! Sample resources for the `fake-lark` binary and the SDK's download example.

use super::{Disposition, FakeLark, Fault, Resource, ResourceKind};

/// Message id shared by all samples.
pub const SAMPLE_MESSAGE_ID: &str = "om_sample";
/// 5 MiB `type=file`, `application/octet-stream`, `filename="sample.bin"`, ranges accepted.
pub const SAMPLE_FILE_KEY: &str = "file_sample";
/// Size of [`SAMPLE_FILE_KEY`].
pub const SAMPLE_FILE_SIZE: u64 = 5 * 1024 * 1024;
/// 200 KiB + 17 B `type=image`, `image/png`, RFC 5987 name `示例图片 (1).png`.
pub const SAMPLE_IMAGE_KEY: &str = "img_sample";
/// Size of [`SAMPLE_IMAGE_KEY`].
pub const SAMPLE_IMAGE_SIZE: u64 = 200 * 1024 + 17;
/// Hostile: `filename="../../etc/passwd"` (path traversal).
pub const SAMPLE_TRAVERSAL_KEY: &str = "file_hostile_traversal";
/// Hostile: RFC 5987 name decoding to `..\..\evil<NUL>.exe`.
pub const SAMPLE_ENCODED_HOSTILE_KEY: &str = "file_hostile_encoded";
/// Hostile: header bytes that are not UTF-8 (`filename="\xff\xfe.bin"`).
pub const SAMPLE_INVALID_UTF8_KEY: &str = "file_hostile_invalid_utf8";
/// Raw UTF-8 `filename="季度报告 2026.pdf"`, `application/pdf`.
pub const SAMPLE_RAW_UTF8_KEY: &str = "file_raw_utf8";
/// No `Content-Disposition`, `Content-Type: application/pdf`.
pub const SAMPLE_NO_NAME_KEY: &str = "file_no_name";
/// 1 MiB file whose first requests fail: 429 (reset 1 s), cut-off after
/// 300 000 bytes, 503, then served normally. Faults are consumed once per
/// process run.
pub const SAMPLE_FLAKY_KEY: &str = "file_flaky";

/// Registers the sample resources under [`SAMPLE_MESSAGE_ID`] and returns
/// them (in registration order).
pub fn register_samples(fake: &FakeLark) -> Vec<Resource> {
    let m = SAMPLE_MESSAGE_ID;
    let samples = vec![
        Resource::new(m, SAMPLE_FILE_KEY, ResourceKind::File, SAMPLE_FILE_SIZE)
            .with_seed(1)
            .with_disposition(Disposition::Plain("sample.bin".into())),
        Resource::new(m, SAMPLE_IMAGE_KEY, ResourceKind::Image, SAMPLE_IMAGE_SIZE)
            .with_seed(2)
            .with_content_type("image/png")
            .with_disposition(Disposition::Rfc5987("示例图片 (1).png".into())),
        Resource::new(m, SAMPLE_TRAVERSAL_KEY, ResourceKind::File, 1024)
            .with_seed(3)
            .with_disposition(Disposition::Plain("../../etc/passwd".into())),
        Resource::new(m, SAMPLE_ENCODED_HOSTILE_KEY, ResourceKind::File, 1024)
            .with_seed(4)
            .with_disposition(Disposition::Rfc5987("..\\..\\evil\0.exe".into())),
        Resource::new(m, SAMPLE_INVALID_UTF8_KEY, ResourceKind::File, 1024)
            .with_seed(5)
            .with_disposition(Disposition::Raw(
                b"attachment; filename=\"\xff\xfe.bin\"".to_vec(),
            )),
        Resource::new(m, SAMPLE_RAW_UTF8_KEY, ResourceKind::File, 64 * 1024)
            .with_seed(6)
            .with_content_type("application/pdf")
            .with_disposition(Disposition::RawUtf8("季度报告 2026.pdf".into())),
        Resource::new(m, SAMPLE_NO_NAME_KEY, ResourceKind::File, 4096)
            .with_seed(7)
            .with_content_type("application/pdf")
            .with_disposition(Disposition::None),
        Resource::new(m, SAMPLE_FLAKY_KEY, ResourceKind::File, 1024 * 1024)
            .with_seed(8)
            .with_disposition(Disposition::Plain("flaky.bin".into()))
            .with_faults([
                Fault::RateLimited { reset_secs: 1 },
                Fault::CutOff {
                    after_bytes: 300_000,
                },
                Fault::Status5xx(503),
            ]),
    ];
    for r in &samples {
        fake.add_resource(r.clone());
    }
    samples
}

/// Human-readable list of the samples and a few `curl` commands to try them.
pub fn sample_usage(fake: &FakeLark) -> String {
    let base = fake.base_url();
    let cfg = fake.config();
    let m = SAMPLE_MESSAGE_ID;
    let mut s = format!(
        "fake-lark listening on {base}\n\napp_id={} app_secret={} ({:?} app)\n\nsample resources (message_id {m}):\n",
        cfg.app_id, cfg.app_secret, cfg.app_type
    );
    let rows = [
        (SAMPLE_FILE_KEY, "file", "5 MiB, filename=\"sample.bin\""),
        (SAMPLE_IMAGE_KEY, "image", "image/png, RFC 5987 filename*"),
        (SAMPLE_TRAVERSAL_KEY, "file", "hostile: ../../etc/passwd"),
        (
            SAMPLE_ENCODED_HOSTILE_KEY,
            "file",
            "hostile: %-encoded ..\\ and NUL",
        ),
        (
            SAMPLE_INVALID_UTF8_KEY,
            "file",
            "hostile: non-UTF-8 header bytes",
        ),
        (SAMPLE_RAW_UTF8_KEY, "file", "raw UTF-8 filename"),
        (SAMPLE_NO_NAME_KEY, "file", "no Content-Disposition"),
        (
            SAMPLE_FLAKY_KEY,
            "file",
            "429, then cut off, then 503, then OK",
        ),
        (
            "err_<code>",
            "any",
            "answers that spec error row, e.g. err_234003",
        ),
    ];
    for (key, kind, what) in rows {
        s.push_str(&format!("  {key:<28} type={kind:<6} {what}\n"));
    }
    let token_cmd = match cfg.app_type {
        super::FakeAppType::Custom => format!(
            "curl -s -X POST {base}/open-apis/auth/v3/tenant_access_token/internal \\\n    -H 'Content-Type: application/json; charset=utf-8' \\\n    -d '{{\"app_id\":\"{}\",\"app_secret\":\"{}\"}}'",
            cfg.app_id, cfg.app_secret
        ),
        super::FakeAppType::Store => format!(
            "curl -s -X POST {base}/open-apis/auth/v3/app_access_token \\\n    -H 'Content-Type: application/json; charset=utf-8' \\\n    -d '{{\"app_id\":\"{}\",\"app_secret\":\"{}\",\"app_ticket\":\"{}\"}}'\n  # then POST {base}/open-apis/auth/v3/tenant_access_token with {{\"app_access_token\":\"a-…\",\"tenant_key\":\"tenant_1\"}}",
            cfg.app_id,
            cfg.app_secret,
            fake.latest_app_ticket().unwrap_or_default()
        ),
    };
    let url = format!("{base}/open-apis/im/v1/messages/{m}/resources");
    s.push_str(&format!(
        "\ntry:\n  {token_cmd}\n  TOKEN=t-…   # from the answer above\n  curl -sSJO -H \"Authorization: Bearer $TOKEN\" '{url}/{SAMPLE_FILE_KEY}?type=file'\n  curl -s -D - -o /dev/null -H 'Range: bytes=1000-' -H \"Authorization: Bearer $TOKEN\" '{url}/{SAMPLE_FILE_KEY}?type=file'\n  curl -s -H \"Authorization: Bearer $TOKEN\" '{url}/err_234003?type=file'\n\nCtrl-C to stop.\n"
    ));
    s
}
