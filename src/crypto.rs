//! Secrets at rest and certificates. Private keys are sealed with AES-256-GCM under the master
//! key (a fresh nonce per seal, the key's id stored beside) and opened only to sign.
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::Digest;

use crate::error::AppError;

/// A sealed secret as stored: ciphertext (with its tag), nonce, and which key sealed it.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
    pub key_id: String,
}

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    key_id: String,
    /// Signs what the portal hands the browser to give back (derived from the master key, so
    /// every replica that shares the key accepts it).
    signer: aws_lc_rs::hmac::Key,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.key_id)
    }
}

impl Sealer {
    /// The master key from `XOPS_MASTER_KEY` (base64 of 32 bytes), else from `key_file`,
    /// which is created (mode 0600) with a random key on first run.
    pub fn load(master_key: Option<&str>, key_file: &Path) -> Result<Sealer, String> {
        let (sealer, new_key) = Sealer::read(master_key, key_file)?;
        if let Some(new_key) = new_key {
            new_key.write()?;
        }
        Ok(sealer)
    }

    /// The master key from `XOPS_MASTER_KEY`, else from `key_file`; when there is neither, a new
    /// random key and the file to write it to, written by the caller only once it has checked
    /// that the database holds nothing sealed under another key.
    pub fn read(master_key: Option<&str>, key_file: &Path) -> Result<(Sealer, Option<NewKeyFile>), String> {
        let (encoded, new_key) = match master_key {
            Some(k) => (k.trim().to_string(), None),
            None if key_file.exists() => {
                refuse_shared_key_file(key_file)?;
                let encoded = std::fs::read_to_string(key_file)
                    .map_err(|e| format!("cannot read the master key file {}: {e}", key_file.display()))?
                    .trim()
                    .to_string();
                (encoded, None)
            }
            None => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                let encoded = STANDARD.encode(key);
                (encoded.clone(), Some(NewKeyFile { path: key_file.to_path_buf(), encoded }))
            }
        };
        let key = STANDARD.decode(&encoded).map_err(|_| "the master key is not valid base64".to_string())?;
        Ok((Sealer::from_key(&key)?, new_key))
    }

    pub fn from_key(key: &[u8]) -> Result<Sealer, String> {
        if key.len() != 32 {
            return Err(format!("the master key must be 32 bytes, not {}", key.len()));
        }
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| "invalid master key".to_string())?;
        let key_id = hex(&sha2::Sha256::digest(key)[..8]);
        let derived = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key), b"xops signing key v1");
        let signer = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, derived.as_ref());
        Ok(Sealer { cipher, key_id, signer })
    }

    /// An HMAC-SHA256 tag over `message`, base64url.
    pub fn sign(&self, message: &[u8]) -> String {
        base64url(aws_lc_rs::hmac::sign(&self.signer, message).as_ref())
    }

    /// Whether `tag` is `sign(message)` (compared in constant time).
    pub fn verify_signature(&self, message: &[u8], tag: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(tag)
            .is_ok_and(|tag| aws_lc_rs::hmac::verify(&self.signer, message, &tag).is_ok())
    }

    /// The id of the loaded key (a hash of it), as stored beside every sealed secret.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Seals `plaintext` bound to `context` (AES-GCM associated data: the row and organization it
    /// belongs to), so that a sealed value copied to another row or organization does not open.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Sealed, AppError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext, aad: context };
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).map_err(|_| {
            tracing::error!("sealing failed");
            AppError::Internal
        })?;
        Ok(Sealed { ciphertext, nonce: nonce.to_vec(), key_id: self.key_id.clone() })
    }

    /// Opens a sealed secret; a wrong key, another context or any tampering fails.
    pub fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, AppError> {
        if sealed.key_id != self.key_id || sealed.nonce.len() != 12 {
            tracing::error!(key_id = %sealed.key_id, "a sealed secret belongs to another master key");
            return Err(AppError::Internal);
        }
        let payload = Payload { msg: sealed.ciphertext.as_slice(), aad: context };
        self.cipher.decrypt(Nonce::from_slice(&sealed.nonce), payload).map_err(|_| {
            tracing::error!("a sealed secret failed authentication");
            AppError::Internal
        })
    }
}

/// A master key made at this start, not yet written to its file.
pub struct NewKeyFile {
    path: std::path::PathBuf,
    encoded: String,
}

impl NewKeyFile {
    pub fn write(self) -> Result<(), String> {
        write_private_file(&self.path, &self.encoded)
            .map_err(|e| format!("cannot create the master key file {}: {e}", self.path.display()))?;
        tracing::info!("Created a new master key in {}: keep it with the database's backups, never beside them.", self.path.display());
        Ok(())
    }
}

/// A key file that others on the machine can read is not a secret any more.
fn refuse_shared_key_file(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("cannot read the master key file {}: {e}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "the master key file {} can be read by other users (mode {:o}): run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    Ok(())
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

/// A certificate made here: the public part to hand out, the private key to seal.
pub struct GeneratedCertificate {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub private_key_pkcs8: Vec<u8>,
    /// SHA-1 of the DER, upper-case hex: what the Azure portal shows as the thumbprint.
    pub thumbprint: String,
    pub not_after: i64,
}

/// An RSA 3072 key pair and a self-signed certificate valid for one year.
pub fn generate_certificate(common_name: &str) -> Result<GeneratedCertificate, AppError> {
    let fail = |what: &str, e: rcgen::Error| {
        tracing::error!(error = %e, "{what}");
        AppError::Internal
    };
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
        .map_err(|e| fail("RSA key generation failed", e))?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| fail("certificate parameters", e))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, common_name);
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "Xops 360");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(365);
    let cert = params.self_signed(&key).map_err(|e| fail("certificate signing failed", e))?;
    let cert_der = cert.der().to_vec();
    Ok(GeneratedCertificate {
        cert_pem: cert.pem(),
        thumbprint: hex(&sha1::Sha1::digest(&cert_der)).to_uppercase(),
        cert_der,
        private_key_pkcs8: key.serialize_der(),
        not_after: params.not_after.unix_timestamp(),
    })
}

/// The RSA signature algorithms of the JWTs the portal signs.
#[derive(Debug, Clone, Copy)]
pub enum JwtAlgorithm {
    /// RSASSA-PSS with SHA-256: certificate-signed client assertions.
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256: the issuer's tokens (the one Entra accepts from them).
    Rs256,
}

/// An RSA signature over `message` with a PKCS#8 RSA key.
pub fn sign_rsa(algorithm: JwtAlgorithm, private_key_pkcs8: &[u8], message: &[u8]) -> Result<Vec<u8>, AppError> {
    use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
    let key = RsaKeyPair::from_pkcs8(private_key_pkcs8).map_err(|e| {
        tracing::error!(error = %e, "a stored private key does not parse");
        AppError::Internal
    })?;
    let padding: &'static dyn aws_lc_rs::signature::RsaEncoding = match algorithm {
        JwtAlgorithm::Ps256 => &RSA_PSS_SHA256,
        JwtAlgorithm::Rs256 => &RSA_PKCS1_SHA256,
    };
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(padding, &aws_lc_rs::rand::SystemRandom::new(), message, &mut signature).map_err(|_| {
        tracing::error!("signing failed");
        AppError::Internal
    })?;
    Ok(signature)
}

/// A compact JWS of `claims` under `header` (which names the algorithm), signed with a PKCS#8
/// RSA key.
pub fn sign_jwt(
    algorithm: JwtAlgorithm,
    header: &serde_json::Value,
    claims: &serde_json::Value,
    private_key_pkcs8: &[u8],
) -> Result<String, AppError> {
    let input = format!("{}.{}", base64url(header.to_string().as_bytes()), base64url(claims.to_string().as_bytes()));
    let signature = sign_rsa(algorithm, private_key_pkcs8, input.as_bytes())?;
    Ok(format!("{input}.{}", base64url(&signature)))
}

pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(bytes).to_vec()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::from_key(&[byte; 32]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sealing_round_trips_with_a_fresh_nonce() {
        let s = sealer(1);
        let a = s.seal(b"private key", b"row 1").unwrap_or_else(|e| panic!("{e}"));
        let b = s.seal(b"private key", b"row 1").unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b"private key".to_vec());
        assert_eq!(s.open(&a, b"row 1").ok().as_deref(), Some(&b"private key"[..]));
    }

    #[test]
    fn tampering_or_a_wrong_key_fails() {
        let s = sealer(1);
        let mut sealed = s.seal(b"private key", b"org 1 row 1").unwrap_or_else(|e| panic!("{e}"));
        assert!(sealer(2).open(&sealed, b"org 1 row 1").is_err(), "another key");
        let other = Sealer { key_id: s.key_id.clone(), ..sealer(2) };
        assert!(other.open(&sealed, b"org 1 row 1").is_err(), "another key under the same id");
        assert!(s.open(&sealed, b"org 2 row 1").is_err(), "copied to another organization's row");
        sealed.ciphertext[0] ^= 1;
        assert!(s.open(&sealed, b"org 1 row 1").is_err(), "tampered");
    }

    #[test]
    fn the_key_file_is_made_once_and_private() {
        let dir = std::env::temp_dir().join(format!(
            "xops-key-{}",
            hex(&{
                let mut b = [0u8; 8];
                rand::rngs::OsRng.fill_bytes(&mut b);
                b
            })
        ));
        let file = dir.join("master.key");
        let first = Sealer::load(None, &file).unwrap_or_else(|e| panic!("{e}"));
        let second = Sealer::load(None, &file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.key_id, second.key_id, "the same key the second time");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
            assert_eq!(mode, 0o600);
            let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644));
            let shared = Sealer::load(None, &file).err().unwrap_or_default();
            assert!(shared.contains("chmod 600"), "a key file others can read is refused: {shared}");
        }
        assert!(Sealer::load(Some("c2hvcnQ="), &file).is_err(), "a short key is refused");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn certificates_are_rsa_3072_and_sign_ps256() {
        let cert = generate_certificate("Xops test").unwrap_or_else(|e| panic!("{e}"));
        assert!(cert.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(!cert.cert_pem.contains("PRIVATE KEY"));
        assert_eq!(cert.thumbprint.len(), 40);
        let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&cert.private_key_pkcs8).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair.public_modulus_len() * 8, 3072);
        // The certificate carries the key pair's public key: what it signs verifies against it.
        let der = rustls_pki_types::CertificateDer::from(cert.cert_der.as_slice());
        let parsed = webpki::EndEntityCert::try_from(&der).unwrap_or_else(|e| panic!("{e}"));
        let signature = sign_rsa(JwtAlgorithm::Ps256, &cert.private_key_pkcs8, b"message").unwrap_or_else(|e| panic!("{e}"));
        let alg = webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY;
        assert!(parsed.verify_signature(alg, b"message", &signature).is_ok());
        assert!(parsed.verify_signature(alg, b"other", &signature).is_err());
    }
}
