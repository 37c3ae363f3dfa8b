//! URLs in messages.

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// Only the origin of a URL (`scheme://host[:port]`), for messages about a
/// URL whose path or query may be a credential (a Slack-style webhook's
/// path is the key to post to its channel).
pub fn url_origin(url: &str) -> String {
    match url.parse::<http::Uri>() {
        Ok(u) => match (u.scheme_str(), u.authority()) {
            (Some(s), Some(a)) => {
                // Never a user or password either.
                let host = a.as_str().rsplit('@').next().unwrap_or_default();
                format!("{s}://{host}")
            }
            _ => "(a URL)".into(),
        },
        Err(_) => "(a URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_origin_keeps_no_path_query_or_credentials() {
        assert_eq!(
            super::url_origin("https://hooks.slack.com/services/T0/B0/SECRET?x=1"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            super::url_origin("http://u:p@127.0.0.1:9/p"),
            "http://127.0.0.1:9"
        );
        assert_eq!(super::url_origin("not a url"), "(a URL)");
    }
}
