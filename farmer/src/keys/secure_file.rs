//! Files that hold secrets: created 0600 with `create_new` (never replacing anything), written and
//! fsynced with their directory; read only when no one but the owner can read them.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

/// Why a secret file could not be read.
pub(crate) enum ReadError {
    /// An I/O error.
    Io(io::Error),
    /// The file's mode lets group or others read or write it.
    Insecure(u32),
}

/// Creates `path` with mode 0600, refusing to replace an existing file, writes `bytes`, and makes
/// both the file and its directory entry durable. On a write error the new file is removed.
pub(crate) fn create_secret_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    sync_parent_dir(path)
}

/// Fsyncs the directory holding `path`, so a newly created file survives a crash.
pub(crate) fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// The permission bits of an open file.
pub(crate) fn mode_of(file: &File) -> io::Result<u32> {
    Ok(file.metadata()?.permissions().mode() & 0o7777)
}

/// Reads a whole file that must not be accessible to group or others (checked on the open file,
/// so the check and the read see the same inode). The bytes are zeroized when dropped.
pub(crate) fn read_secret_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut file = File::open(path).map_err(ReadError::Io)?;
    let mode = mode_of(&file).map_err(ReadError::Io)?;
    if mode & 0o077 != 0 {
        return Err(ReadError::Insecure(mode));
    }
    read_all(&mut file).map_err(ReadError::Io)
}

/// Reads a whole file whatever its mode (for the public part of a key file).
pub(crate) fn read_public_file(path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
    read_all(&mut File::open(path)?)
}

/// Key files are small; anything past this is not one.
const MAX_KEY_FILE: u64 = 64 * 1024;

fn read_all(file: &mut File) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::with_capacity(1024));
    file.take(MAX_KEY_FILE).read_to_end(&mut buf)?;
    Ok(buf)
}
