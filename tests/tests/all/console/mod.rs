//! The operator console: its security over real HTTP (`security`), the
//! whole approval loop in a real browser (`browser`), and the overview's
//! charts and the lists behind them (`overview`).

pub(crate) mod browser;
mod demo;
mod oidc;
mod overview;
mod security;

use reqwest::header;
use warrant::operator::LoginGrant;
use warrant_tests::Fixture;

pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A form body.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// A logged-in browser, by hand: the session cookie and its CSRF token.
pub(crate) struct Console {
    pub(crate) base: String,
    pub(crate) cookie: String,
    pub(crate) csrf: String,
    pub(crate) http: reqwest::Client,
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A login link for `name`, as `warrant console login` prints it.
pub(crate) fn link(fx: &Fixture, base: &str, name: &str) -> String {
    let grant = LoginGrant::new(&fx.signer(name)).unwrap();
    format!("{base}/console/login#grant={}", grant.encode())
}

/// The grant part of a login link.
pub(crate) fn grant_of(link: &str) -> &str {
    link.split_once("#grant=").unwrap().1
}

/// Post the login form with `grant`.
pub(crate) async fn post_login(base: &str, grant: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/console/login/link"))
        .header(header::ORIGIN, base)
        .header(header::CONTENT_TYPE, FORM)
        .body(form(&[("grant", grant)]))
        .send()
        .await
        .unwrap()
}

/// Log in as `name` with a fresh link.
pub(crate) async fn login(fx: &Fixture, base: &str, name: &str) -> Console {
    let res = post_login(base, grant_of(&link(fx, base, name))).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let http = client();
    let page = http
        .get(format!("{base}/console"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field(&page, "csrf").expect("a CSRF token in the page");
    Console {
        base: base.to_owned(),
        cookie,
        csrf,
        http,
    }
}

/// The value of the first hidden input `name` in `html`.
pub(crate) fn field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Console {
    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Post a form as this console would (own Origin, CSRF token).
    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let mut f: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        f.extend_from_slice(form);
        self.post_raw(path, Some(&self.base), &f).await
    }

    /// Post with the given Origin (or none) and exactly `form`.
    pub(crate) async fn post_raw(
        &self,
        path: &str,
        origin: Option<&str>,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, FORM)
            .body(self::form(form));
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}
