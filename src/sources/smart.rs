//! SMART Backend Services client authentication: a JWT client assertion
//! (RFC 7523) signed with the client's private key, RS384 for an RSA key or
//! ES384 for a P-384 key (PKCS#8 PEM), as the SMART App Launch and Bulk
//! Data specifications ask. Signed with `ring`, which rustls brings.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};

use super::SourceError;

/// How long an assertion is valid: the specification allows at most 5 minutes.
const LIFETIME_SECS: i64 = 300;

/// The DER bytes of the first PEM block.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    STANDARD.decode(body).ok()
}

fn bad_key() -> SourceError {
    SourceError::Connect(
        "private_key_file: not a PKCS#8 PEM RSA or P-384 private key (openssl genpkey -algorithm RSA -out key.pem)".into(),
    )
}

/// A signed assertion for `client_id` at `token_url`; `kid` names the key
/// in the client's JWKS when set.
pub fn client_assertion(
    client_id: &str,
    token_url: &str,
    pem: &str,
    kid: Option<&str>,
) -> Result<String, SourceError> {
    let der = pem_der(pem).ok_or_else(bad_key)?;
    let rng = SystemRandom::new();
    let rsa = RsaKeyPair::from_pkcs8(&der).ok();
    let ec = match rsa {
        Some(_) => None,
        None => Some(
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &der, &rng)
                .map_err(|_| bad_key())?,
        ),
    };
    let alg = if rsa.is_some() { "RS384" } else { "ES384" };
    let mut header = serde_json::json!({"alg": alg, "typ": "JWT"});
    if let Some(k) = kid {
        header["kid"] = k.into();
    }
    let now = chrono::Utc::now().timestamp();
    let jti = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let claims = serde_json::json!({"iss": client_id, "sub": client_id, "aud": token_url,
        "exp": now + LIFETIME_SECS, "iat": now, "jti": jti});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = match (rsa, ec) {
        (Some(k), _) => {
            let mut sig = vec![0u8; k.public().modulus_len()];
            k.sign(
                &signature::RSA_PKCS1_SHA384,
                &rng,
                input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| bad_key())?;
            sig
        }
        (None, Some(k)) => k
            .sign(&rng, input.as_bytes())
            .map_err(|_| bad_key())?
            .as_ref()
            .to_vec(),
        (None, None) => return Err(bad_key()),
    };
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}
