//! Linux: many secrets in one `Service.GetSecrets` call, over an encrypted session of our own.
//!
//! The `secret-service` crate reads one item's secret per call and keeps its session private,
//! so a sign-out of 30 accounts would make 30 round trips. This opens a second session on the
//! same D-Bus connection with the Secret Service's `dh-ietf1024-sha256-aes128-cbc-pkcs7`
//! algorithm (spec: <https://specifications.freedesktop.org/secret-service/latest/>, "Transfer
//! of Secrets"): a Diffie-Hellman exchange in the 1024-bit MODP group of RFC 2409 §6.2 with
//! generator 2, HKDF-SHA256 (no salt, no info) of the shared secret padded to 128 bytes down to
//! a 16-byte AES key, and each secret AES-128-CBC with PKCS#7 padding under the 16-byte IV the
//! service sends as the secret's parameters. Nothing travels in the clear on the bus.

use std::collections::HashMap;

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit};
use num_bigint::BigUint;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The algorithm name of the encrypted session (the spec's only one besides `plain`).
const ALGORITHM: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

/// RFC 2409 §6.2, the Second Oakley Group: 2^1024 - 2^960 - 1 + 2^64 * { [2^894 pi] + 129093 }.
const MODP_1024: &str = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1\
                         29024E088A67CC74020BBEA63B139B22514A08798E3404DD\
                         EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245\
                         E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
                         EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381\
                         FFFFFFFFFFFFFFFF";

/// A secret as the Secret Service sends it: session, parameters (the IV), value, content type.
type SecretStruct = (OwnedObjectPath, Vec<u8>, Vec<u8>, String);

#[zbus::proxy(
    interface = "org.freedesktop.Secret.Service",
    default_service = "org.freedesktop.secrets",
    default_path = "/org/freedesktop/secrets",
    gen_async = false,
    blocking_name = "ServiceProxy"
)]
trait Service {
    fn open_session(
        &self,
        algorithm: &str,
        input: &Value<'_>,
    ) -> zbus::Result<(OwnedValue, OwnedObjectPath)>;

    fn get_secrets(
        &self,
        items: &[ObjectPath<'_>],
        session: &ObjectPath<'_>,
    ) -> zbus::Result<HashMap<OwnedObjectPath, SecretStruct>>;
}

/// An open encrypted session: its object path and the AES key agreed for it.
pub(super) struct Secrets {
    proxy: ServiceProxy<'static>,
    session: OwnedObjectPath,
    key: Zeroizing<[u8; 16]>,
}

impl Secrets {
    /// Opens the session on `conn` (one Diffie-Hellman exchange).
    pub(super) fn open(conn: &zbus::blocking::Connection) -> Result<Self> {
        let proxy = ServiceProxy::new(conn).map_err(bus)?;
        let prime = BigUint::parse_bytes(MODP_1024.as_bytes(), 16).expect("the RFC 2409 prime");
        let mut private = Zeroizing::new([0u8; 128]);
        getrandom::fill(private.as_mut_slice()).map_err(|e| Error::Keychain {
            detail: format!("no randomness for the keychain session: {e}"),
        })?;
        let private = BigUint::from_bytes_be(private.as_slice());
        let public = BigUint::from(2u32).modpow(&private, &prime);
        let (output, session) = proxy
            .open_session(ALGORITHM, &Value::from(public.to_bytes_be()))
            .map_err(bus)?;
        let theirs: Vec<u8> = output.try_into().map_err(|e| Error::Keychain {
            detail: format!("the Secret Service answered the session request oddly: {e}"),
        })?;
        let shared = BigUint::from_bytes_be(&theirs).modpow(&private, &prime);
        let key = derive_key(&shared.to_bytes_be());
        Ok(Self {
            proxy,
            session,
            key,
        })
    }

    /// The secrets of `items`, by item path, in one call. An item the service left out of its
    /// answer (deleted meanwhile) is missing from the map.
    pub(super) fn get(
        &self,
        items: &[OwnedObjectPath],
    ) -> Result<HashMap<OwnedObjectPath, Zeroizing<Vec<u8>>>> {
        if items.is_empty() {
            return Ok(HashMap::new());
        }
        let paths: Vec<ObjectPath<'_>> = items.iter().map(|p| p.as_ref()).collect();
        let answer = self
            .proxy
            .get_secrets(&paths, &self.session.as_ref())
            .map_err(bus)?;
        answer
            .into_iter()
            .map(|(path, (_, iv, value, _))| {
                let secret = decrypt(&self.key, &iv, value)?;
                Ok((path, secret))
            })
            .collect()
    }
}

/// The AES key: HKDF-SHA256 without salt or info over the shared secret, left-padded with
/// zeros to the prime's 128 bytes.
fn derive_key(shared: &[u8]) -> Zeroizing<[u8; 16]> {
    struct Len16;
    impl ring::hkdf::KeyType for Len16 {
        fn len(&self) -> usize {
            16
        }
    }
    let mut ikm = Zeroizing::new(vec![0u8; 128usize.saturating_sub(shared.len())]);
    ikm.extend_from_slice(shared);
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, &[]).extract(&ikm);
    let mut key = Zeroizing::new([0u8; 16]);
    prk.expand(&[], Len16)
        .and_then(|okm| okm.fill(key.as_mut_slice()))
        .expect("16 bytes are within HKDF-SHA256's limit");
    key
}

/// One secret's value, decrypted in place and unpadded.
fn decrypt(key: &[u8; 16], iv: &[u8], value: Vec<u8>) -> Result<Zeroizing<Vec<u8>>> {
    let damaged = || Error::Keychain {
        detail: "the Secret Service sent a secret that does not decrypt".into(),
    };
    let mut buf = Zeroizing::new(value);
    let cipher = cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv).map_err(|_| damaged())?;
    let len = cipher
        .decrypt_padded::<Pkcs7>(buf.as_mut_slice())
        .map_err(|_| damaged())?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// A D-Bus error as the rest of the vault reports it.
fn bus(e: zbus::Error) -> Error {
    super::secret_service::map(secret_service::Error::Zbus(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encrypts as the service does, so the decryption can be checked without a bus.
    fn encrypt(key: &[u8; 16], iv: &[u8; 16], plain: &[u8]) -> Vec<u8> {
        use cbc::cipher::BlockModeEncrypt;
        let mut buf = plain.to_vec();
        buf.resize(plain.len() + 16 - plain.len() % 16, 0);
        let n = cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
            .unwrap()
            .encrypt_padded::<Pkcs7>(&mut buf, plain.len())
            .unwrap()
            .len();
        buf.truncate(n);
        buf
    }

    #[test]
    fn a_secret_round_trips_and_a_wrong_key_is_refused_not_garbled() {
        let key = derive_key(&[7u8; 100]);
        let iv = [3u8; 16];
        let sealed = encrypt(&key, &iv, br#"{"refresh_token":"rt-1"}"#);
        let opened = decrypt(&key, &iv, sealed.clone()).unwrap();
        assert_eq!(opened.as_slice(), br#"{"refresh_token":"rt-1"}"#);
        let other = derive_key(&[8u8; 100]);
        // A wrong key fails the padding check, or (rarely) yields other bytes: never the secret.
        assert!(
            decrypt(&other, &iv, sealed)
                .map_or(true, |p| p.as_slice() != br#"{"refresh_token":"rt-1"}"#)
        );
        assert!(
            decrypt(&key, &iv[..8], vec![0; 16]).is_err(),
            "an IV of the wrong size"
        );
        assert!(decrypt(&key, &iv, vec![0; 15]).is_err(), "not whole blocks");
    }

    #[test]
    fn the_key_pads_the_shared_secret_to_the_prime_size() {
        // A shared secret with a leading zero byte is sent 127 bytes long: both sides pad it.
        let mut short = vec![0u8; 127];
        short[0] = 1;
        let mut padded = vec![0u8];
        padded.extend_from_slice(&short);
        assert_eq!(*derive_key(&short), *derive_key(&padded));
        assert_ne!(*derive_key(&short), *derive_key(&[1u8; 128]));
    }
}
