//! `[server]`: where hypercare listens, the address people reach it by, and
//! who may use the admin pages and the JSON API.

use std::net::SocketAddr;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::DEFAULT_LISTEN;
use super::admin::{self, AdminAuth, AdminText};
use super::de::recover;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The address people use to reach hypercare, for links in mail.
    pub public_url: Option<url::Url>,
    /// Who may use `/admin` and `/api/v1`.
    pub admin: AdminAuth,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listener is an address"),
            public_url: None,
            admin: AdminAuth::default(),
        }
    }
}

/// `[server]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerText {
    #[serde(default)]
    listen: Option<Listen>,
    #[serde(default)]
    public_url: Option<PublicUrl>,
    admin_token_env: Option<Spanned<String>>,
    admin_token_file: Option<Spanned<String>>,
    admin_user: Option<Spanned<String>>,
    admin_password_env: Option<Spanned<String>>,
    admin_password_file: Option<Spanned<String>>,
    trusted_user_header: Option<Spanned<String>>,
    #[serde(default)]
    trusted_proxies: Vec<Spanned<String>>,
}

/// An address to listen on, `host:port`.
struct Listen(SocketAddr);

impl<'de> Deserialize<'de> for Listen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        v.get_ref().parse().map(Listen).or_else(|_| {
            let message = format!("`{}` is not an address to listen on", v.get_ref());
            let hint = "write host:port, such as 127.0.0.1:9187 or 0.0.0.0:9187";
            recover(
                v.span(),
                message,
                Some(hint),
                Listen(SocketAddr::from(([0; 4], 0))),
            )
        })
    }
}

struct PublicUrl(Option<url::Url>);

impl<'de> Deserialize<'de> for PublicUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Spanned::<String>::deserialize(d)?;
        match url::Url::parse(v.get_ref()) {
            Ok(u) => Ok(PublicUrl(Some(u))),
            Err(e) => {
                let message = format!("public_url is not a URL: {e}");
                let hint = "such as https://hypercare.example.org";
                recover(v.span(), message, Some(hint), PublicUrl(None))
            }
        }
    }
}

impl<'de> Deserialize<'de> for ServerConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = ServerText::deserialize(d)?;
        let default = ServerConfig::default();
        Ok(ServerConfig {
            listen: t.listen.map_or(default.listen, |l| l.0),
            public_url: t.public_url.and_then(|u| u.0),
            admin: admin::read::<D::Error>(AdminText {
                token_env: t.admin_token_env,
                token_file: t.admin_token_file,
                user: t.admin_user,
                password_env: t.admin_password_env,
                password_file: t.admin_password_file,
                trusted_user_header: t.trusted_user_header,
                trusted_proxies: t.trusted_proxies,
            })?
            .unwrap_or_default(),
        })
    }
}
