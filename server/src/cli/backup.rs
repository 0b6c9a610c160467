//! `autobank backup FILE` and `autobank restore FILE`: a consistent copy
//! of the embedded SQLite database made while it serves, and put back
//! while nothing serves. PostgreSQL has `pg_dump` and `pg_restore`
//! (docs/DEPLOY.md).

use super::refuse;
use crate::config::{sqlite_file, Settings};
use app::server::crypto::KEY_FILE;
use app::server::db::{backup, Db};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Held by every `autobank serve` on a SQLite database, shared, for as long
/// as it serves, and by every other command for as long as it runs;
/// `restore` takes it alone, so it refuses while a server or a command
/// uses the database, and one started during a restore waits for it. The
/// kernel lets go of it when the process dies, `kill -9` included.
pub struct ServingLock(#[allow(dead_code)] File);

fn lock_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".serving");
    PathBuf::from(name)
}

fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl ServingLock {
    /// The shared hold of a server on `database_url` (none on PostgreSQL).
    pub async fn take(database_url: &str) -> anyhow::Result<Option<Self>> {
        let Some(db_file) = sqlite_file(database_url) else {
            return Ok(None);
        };
        if let Some(dir) = db_file.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::config::private_dir(dir)?;
        }
        let file = private_file(&lock_path(&db_file))?;
        match file.try_lock_shared() {
            Ok(()) => Ok(Some(Self(file))),
            Err(std::fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "A restore of {} is under way: waiting for it.",
                    db_file.display()
                );
                let file = tokio::task::spawn_blocking(move || file.lock_shared().map(|()| file))
                    .await??;
                Ok(Some(Self(file)))
            }
            Err(std::fs::TryLockError::Error(err)) => Err(err.into()),
        }
    }
}

/// Where the key is, for the operator: never the key itself.
fn where_the_key_is(settings: &Settings) -> String {
    if settings.secret_key.is_some() {
        "in AUTOBANK_SECRET_KEYS (or AUTOBANK_SECRET_KEY) of the instances' environment".into()
    } else {
        format!(
            "in the key file {}",
            settings.data_dir.join(KEY_FILE).display()
        )
    }
}

fn sqlite_only(settings: &Settings, what: &str) -> anyhow::Result<PathBuf> {
    sqlite_file(&settings.database_url).ok_or_else(|| {
        refuse(format!(
            "autobank {what} works on the embedded SQLite database. On PostgreSQL use \
             pg_dump and pg_restore, as docs/DEPLOY.md shows."
        ))
    })
}

/// A name beside `path`, starting with a dot, for a file being written.
fn partial_name(path: &Path, what: &str) -> PathBuf {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let name = path
        .file_name()
        .map_or("autobank".into(), |n| n.to_string_lossy());
    dir.unwrap_or(Path::new("."))
        .join(format!(".{name}.{what}-{:016x}", rand::random::<u64>()))
}

fn sync_dir_of(path: &Path) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    File::open(dir.unwrap_or(Path::new(".")))?.sync_all()
}

/// `autobank backup FILE`.
pub async fn backup(settings: &Settings, target: &Path) -> anyhow::Result<()> {
    let db_file = sqlite_only(settings, "backup")?;
    if !db_file.is_file() {
        return Err(refuse(format!(
            "There is no database at {}: nothing to back up.",
            db_file.display()
        )));
    }
    if target.symlink_metadata().is_ok() {
        return Err(refuse(format!(
            "{} exists: refusing to overwrite it. Nothing was written.",
            target.display()
        )));
    }
    // As it is: a backup never applies this build's migrations to the
    // database the instances serve.
    let db = Db::connect_lazy(&settings.database_url)?;
    // Written under a name of its own, created empty and private (the copy
    // holds password hashes), then linked under the final name only when
    // whole: a backup cut short leaves no file there.
    let partial = partial_name(target, "partial");
    let written = async {
        private_file(&partial)?;
        let path = partial
            .to_str()
            .ok_or_else(|| refuse("The backup's path must be UTF-8."))?;
        backup::vacuum_into(&db, path).await?;
        File::open(&partial)?.sync_all()?;
        std::fs::hard_link(&partial, target)?;
        sync_dir_of(target)?;
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_file(&partial);
    if let Err(err) = written {
        return match err.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::AlreadyExists => Err(refuse(format!(
                "{} appeared meanwhile: refusing to overwrite it. Nothing was written.",
                target.display()
            ))),
            _ => Err(err),
        };
    }
    let info = backup::copy_info(target).await?;
    let size = std::fs::metadata(target)?.len();
    println!(
        "Backup written to {} ({size} bytes): {} accounts, {} audit records, schema {}.",
        target.display(),
        info.accounts,
        info.audit_records,
        info.schema
    );
    println!(
        "It does not contain the secret key, without which its MFA secrets cannot be read. \
         The key is {}: keep a copy of it apart from the backups.",
        where_the_key_is(settings)
    );
    Ok(())
}

/// `autobank restore FILE`.
pub async fn restore(settings: &Settings, source: &Path) -> anyhow::Result<()> {
    let db_file = sqlite_only(settings, "restore")?;
    if !source.is_file() {
        return Err(refuse(format!("{} is not a file.", source.display())));
    }
    // The copy is checked before anything is touched.
    let info = backup::copy_info(source).await.map_err(|err| {
        refuse(format!(
            "{} is not a backup of this portal ({err}). Nothing was changed.",
            source.display()
        ))
    })?;
    if !info.intact {
        return Err(refuse(format!(
            "{} is damaged (its integrity check failed). Nothing was changed.",
            source.display()
        )));
    }
    if info.schema > Db::newest_schema() {
        return Err(refuse(format!(
            "{} was made by a newer version of the portal (schema {} > {}). Nothing was changed.",
            source.display(),
            info.schema,
            Db::newest_schema()
        )));
    }
    if let Some(dir) = db_file.parent() {
        crate::config::private_dir(dir)?;
    }
    let lock = private_file(&lock_path(&db_file))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(refuse(format!(
                "A server or another autobank command is using {}: stop every instance first. \
                 Nothing was changed.",
                db_file.display()
            )))
        }
        Err(std::fs::TryLockError::Error(err)) => return Err(err.into()),
    }
    let partial = partial_name(&db_file, "restoring");
    let copied = (|| {
        let mut from = File::open(source)?;
        let mut to = private_file(&partial)?;
        std::io::copy(&mut from, &mut to)?;
        to.sync_all()
    })();
    if let Err(err) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(err.into());
    }
    // The database it replaces is kept, with its log, under one name: the
    // file linked there first, its log moved there, then the copy renamed
    // over it in one step, so that a crash at any point leaves a database
    // under the name (never none, which the next start would make empty).
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let kept = PathBuf::from(format!(
        "{}.before-restore-{stamp}-{:08x}",
        db_file.display(),
        rand::random::<u32>()
    ));
    let kept_any = db_file.exists();
    let swapped = (|| {
        if kept_any {
            std::fs::hard_link(&db_file, &kept)?;
        }
        for suffix in ["-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", db_file.display()));
            if from.exists() {
                std::fs::rename(&from, format!("{}{suffix}", kept.display()))?;
            }
        }
        std::fs::rename(&partial, &db_file)
    })();
    if let Err(err) = swapped {
        let _ = std::fs::remove_file(&partial);
        return Err(err.into());
    }
    sync_dir_of(&db_file)?;
    drop(lock);
    println!(
        "Restored {} into {}: {} accounts, {} audit records, schema {}.",
        source.display(),
        db_file.display(),
        info.accounts,
        info.audit_records,
        info.schema
    );
    if kept_any {
        println!("The database it replaced is kept as {}.", kept.display());
    }
    println!(
        "Start the instances with the key the backup was made under; it is {} (a key \
         that does not open the backup stops the start).",
        where_the_key_is(settings)
    );
    Ok(())
}
