//! PEM reading (rustls-pki-types `PemObject`; rustls-pemfile is unmaintained)
//! and crash-safe writing of PEM files.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::error::CertError;

/// File mode for private keys: owner read/write only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// File mode for certificates, CA bundles and CRLs.
pub const PUBLIC_FILE_MODE: u32 = 0o644;

/// All certificates in `pem`, in order (end entity first for a chain).
pub fn certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertError::pem("certificate PEM", e))?;
    if certs.is_empty() {
        return Err(CertError::pem(
            "certificate PEM",
            "no '-----BEGIN CERTIFICATE-----' section found",
        ));
    }
    Ok(certs)
}

/// The first private key in `pem` (PKCS#8, SEC1 or PKCS#1).
pub fn private_key_from_pem(pem: &str) -> Result<PrivateKeyDer<'static>, CertError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => CertError::pem(
            "private key PEM",
            "no '-----BEGIN PRIVATE KEY-----' (or EC/RSA PRIVATE KEY) section found",
        ),
        other => CertError::pem("private key PEM", other),
    })
}

/// All CRLs in `pem`.
pub fn crls_from_pem(pem: &str) -> Result<Vec<CertificateRevocationListDer<'static>>, CertError> {
    let crls = CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertError::pem("CRL PEM", e))?;
    if crls.is_empty() {
        return Err(CertError::pem(
            "CRL PEM",
            "no '-----BEGIN X509 CRL-----' section found",
        ));
    }
    Ok(crls)
}

/// Reads a certificate chain file.
pub fn load_cert_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, CertError> {
    certs_from_pem(&read_text(path)?).map_err(|e| in_file(e, path))
}

/// Reads a private key file.
pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, CertError> {
    private_key_from_pem(&read_text(path)?).map_err(|e| in_file(e, path))
}

/// Reads a CRL file.
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, CertError> {
    crls_from_pem(&read_text(path)?).map_err(|e| in_file(e, path))
}

pub(crate) fn read_text(path: &Path) -> Result<String, CertError> {
    fs::read_to_string(path).map_err(|e| CertError::io("cannot read", path, e))
}

fn in_file(err: CertError, path: &Path) -> CertError {
    match err {
        CertError::Pem { what, reason } => CertError::Pem {
            what: format!("{what} in {}", path.display()),
            reason,
        },
        other => other,
    }
}

/// Whether an existing destination may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Fail with [`CertError::AlreadyExists`] if the file exists (CA material).
    CreateNew,
    /// Atomically replace the file (server certificate rotation, CRLs).
    Replace,
}

/// Writes `contents` to `path` so that readers see either the old file or the
/// complete new one, never a torn write: a temporary file in the same directory
/// is created with `mode`, flushed to disk, then linked (CreateNew) or renamed
/// (Replace) into place, and the directory entry is synced.
pub fn write_file_atomically(
    path: &Path,
    contents: &[u8],
    mode: u32,
    write_mode: WriteMode,
) -> Result<(), CertError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let file_name = path.file_name().ok_or_else(|| {
        CertError::io(
            "cannot write",
            path,
            std::io::ErrorKind::InvalidInput.into(),
        )
    })?;
    if write_mode == WriteMode::CreateNew && path.exists() {
        return Err(CertError::AlreadyExists(path.to_path_buf()));
    }
    let suffix = hex::encode(crate::serial::random_serial()?.get(..6).unwrap_or_default());
    let tmp: PathBuf = dir.join(format!(".{}.{suffix}.tmp", file_name.to_string_lossy()));

    let result = write_tmp(&tmp, contents, mode).and_then(|()| match write_mode {
        WriteMode::CreateNew => fs::hard_link(&tmp, path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CertError::AlreadyExists(path.to_path_buf())
            } else {
                CertError::io("cannot create", path, e)
            }
        }),
        WriteMode::Replace => {
            fs::rename(&tmp, path).map_err(|e| CertError::io("cannot replace", path, e))
        }
    });
    // After a hard link (or a failure) the temporary name must go; after a rename it is gone.
    if tmp.exists() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

fn write_tmp(tmp: &Path, contents: &[u8], mode: u32) -> Result<(), CertError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(tmp)
        .map_err(|e| CertError::io("cannot create", tmp, e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| CertError::io("cannot write", tmp, e))
}

fn sync_dir(dir: &Path) -> Result<(), CertError> {
    #[cfg(unix)]
    {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| CertError::io("cannot sync directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Refuses a private key file that group or others can read or write.
pub fn ensure_owner_only(path: &Path) -> Result<(), CertError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(|e| CertError::io("cannot stat", path, e))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(CertError::InsecureKeyFile {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn create_new_refuses_to_clobber_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write_file_atomically(&path, b"one", PRIVATE_FILE_MODE, WriteMode::CreateNew).unwrap();
        let err = write_file_atomically(&path, b"two", PRIVATE_FILE_MODE, WriteMode::CreateNew)
            .unwrap_err();
        assert!(matches!(err, CertError::AlreadyExists(_)));
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_file_atomically(&path, b"three", PRIVATE_FILE_MODE, WriteMode::Replace).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"three");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("key.pem")]);
        ensure_owner_only(&path).unwrap();
    }

    #[test]
    fn pem_errors_name_what_is_missing() {
        let err = certs_from_pem("nothing here").unwrap_err();
        assert!(err.to_string().contains("BEGIN CERTIFICATE"), "{err}");
        let err = private_key_from_pem("").unwrap_err();
        assert!(err.to_string().contains("PRIVATE KEY"), "{err}");
        let err = load_cert_chain(Path::new("/nonexistent/cert.pem")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
    }
}
