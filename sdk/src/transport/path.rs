//! Building the request URL: each path parameter becomes exactly one percent-encoded segment.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Url;

/// Everything but RFC 3986 unreserved characters is encoded, so `/`, `?`, `#`, `%` and
/// spaces in a value stay inside its segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Fills each `:name` placeholder of `template` with the value of that name and appends the
/// query. Refuses a placeholder without a value, empty values and the dot segments
/// `.`/`..` (which URL parsers resolve, changing the path), naming the parameter.
pub fn build_url<N: AsRef<str>>(
    base_url: &str,
    template: &str,
    values: &[(N, String)],
    query: &[(N, String)],
) -> Result<Url, String> {
    let mut path = String::with_capacity(template.len() + 64);
    for (i, segment) in template.split('/').enumerate() {
        if i > 0 {
            path.push('/');
        }
        match segment.strip_prefix(':') {
            Some(name) => {
                let value = values
                    .iter()
                    .find(|(n, _)| n.as_ref() == name)
                    .map(|(_, v)| v.as_str())
                    .ok_or_else(|| format!("no value for path parameter `{name}`"))?;
                if value.is_empty() {
                    return Err(format!("path parameter `{name}` is empty"));
                }
                if value == "." || value == ".." {
                    return Err(format!(
                        "path parameter `{name}` is `{value}`, which is not an id"
                    ));
                }
                path.extend(utf8_percent_encode(value, SEGMENT));
            }
            None => path.push_str(segment),
        }
    }
    let mut url = Url::parse(&format!("{}{path}", base_url.trim_end_matches('/')))
        .map_err(|e| format!("cannot build a URL from base `{base_url}`: {e}"))?;
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in query {
            pairs.append_pair(name.as_ref(), value);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "/open-apis/im/v1/messages/:message_id/resources/:file_key";

    fn named(ids: &[&str]) -> Vec<(&'static str, String)> {
        ["message_id", "file_key"]
            .into_iter()
            .zip(ids.iter().map(|s| s.to_string()))
            .collect()
    }

    fn url(ids: &[&str]) -> Result<String, String> {
        build_url(
            "https://open.feishu.cn/",
            T,
            &named(ids),
            &[("type", "image".into())],
        )
        .map(|u| u.to_string())
    }

    #[test]
    fn values_are_placed_by_name_whatever_their_order() {
        let values = vec![("file_key", "k".to_owned()), ("message_id", "m".to_owned())];
        let u = build_url("http://h", T, &values, &[]).unwrap();
        assert_eq!(u.path(), "/open-apis/im/v1/messages/m/resources/k");
        let err = build_url("http://h", T, &values[..1], &[]).unwrap_err();
        assert_eq!(err, "no value for path parameter `message_id`");
    }

    #[test]
    fn plain_ids() {
        assert_eq!(
            url(&["om_1", "file_a-b"]).unwrap(),
            "https://open.feishu.cn/open-apis/im/v1/messages/om_1/resources/file_a-b?type=image"
        );
    }

    #[test]
    fn hostile_ids_stay_one_segment() {
        for (id, encoded) in [
            ("a/b", "a%2Fb"),
            ("../x", "..%2Fx"),
            ("x?type=file", "x%3Ftype%3Dfile"),
            ("x#frag", "x%23frag"),
            ("a b", "a%20b"),
            ("%2F", "%252F"),
            ("中文", "%E4%B8%AD%E6%96%87"),
            ("...", "..."),
        ] {
            let u = build_url("http://127.0.0.1:1", T, &named(&[id, "k"]), &[]).unwrap();
            assert_eq!(
                u.path(),
                format!("/open-apis/im/v1/messages/{encoded}/resources/k"),
                "{id}"
            );
            assert_eq!(u.path_segments().unwrap().count(), 7, "{id}");
            assert_eq!(u.query(), None, "{id}");
            assert_eq!(u.fragment(), None, "{id}");
        }
    }

    #[test]
    fn empty_and_dot_ids_are_refused() {
        assert_eq!(
            url(&["", "k"]).unwrap_err(),
            "path parameter `message_id` is empty"
        );
        assert_eq!(
            url(&["m", ".."]).unwrap_err(),
            "path parameter `file_key` is `..`, which is not an id"
        );
        assert!(url(&[".", "k"]).is_err());
    }

    #[test]
    fn repeated_query_keys() {
        let u = build_url(
            "http://h",
            "/open-apis/x",
            &[],
            &[("id", "1".into()), ("id", "2 3".into())],
        )
        .unwrap();
        assert_eq!(u.query(), Some("id=1&id=2+3"));
    }
}
