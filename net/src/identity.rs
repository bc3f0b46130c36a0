//! The node's persistent peer identity: an ed25519 libp2p key in `p2p-identity.key` of the data
//! directory, created on first start with mode 0600 (libp2p's protobuf key encoding, the format
//! `Keypair::to_protobuf_encoding` writes). The peer id derived from it is what other nodes
//! name in `--peer /ip4/…/tcp/…/p2p/<peer id>`.

use crate::error::NetError;
pub use libp2p::identity::Keypair;
use std::io::Write;
use std::path::Path;

/// The identity file's name inside the data directory.
pub const IDENTITY_FILE: &str = "p2p-identity.key";

/// Loads the key in `dir`/[`IDENTITY_FILE`], or creates it (0600) if there is none.
pub fn load_or_create(dir: &Path) -> Result<Keypair, NetError> {
    let path = dir.join(IDENTITY_FILE);
    let io = |source| NetError::IdentityIo {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            Keypair::from_protobuf_encoding(&bytes).map_err(|e| NetError::IdentityFormat {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io)?;
            let key = Keypair::generate_ed25519();
            let bytes = key
                .to_protobuf_encoding()
                .map_err(|e| NetError::Build(e.to_string()))?;
            let tmp = dir.join(format!("{IDENTITY_FILE}.tmp"));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp).map_err(io)?;
            f.write_all(&bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
            std::fs::rename(&tmp, &path).map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_created_0600_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path()).unwrap();
        let b = load_or_create(dir.path()).unwrap();
        assert_eq!(a.public().to_peer_id(), b.public().to_peer_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(IDENTITY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = tempfile::tempdir().unwrap();
        let c = load_or_create(other.path()).unwrap();
        assert_ne!(a.public().to_peer_id(), c.public().to_peer_id());
        std::fs::write(dir.path().join(IDENTITY_FILE), b"junk").unwrap();
        assert!(matches!(
            load_or_create(dir.path()),
            Err(NetError::IdentityFormat { .. })
        ));
    }
}
