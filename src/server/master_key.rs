//! The master key must be the one the database was sealed under. A known plaintext sealed with
//! the key is kept in the database (`master_key_check`); at every start the loaded key must
//! open it, or the portal refuses to start and says which key it expects. Before that row
//! existed, every sealed column is looked at instead. Nothing is written (no key file, no row)
//! until the key is known to be right.
use super::{store, Pool};
use crate::crypto::{NewKeyFile, Sealer};

const CHECK_PLAINTEXT: &[u8] = b"xops master key check v1";
const CHECK_CONTEXT: &[u8] = b"master_key_check";

/// Checks `sealer` against the database, then writes the new key file (if the key was just
/// made) and the check row (if missing).
pub async fn verify(pool: &Pool, sealer: &Sealer, new_key: Option<NewKeyFile>) -> Result<(), String> {
    let db = |e: sqlx::Error| format!("cannot read the database to check the master key: {e}");
    let check = store::master_key_check(pool).await.map_err(db)?;
    let expected = match &check {
        Some(sealed) => match sealer.open(sealed, CHECK_CONTEXT) {
            Ok(plain) if plain == CHECK_PLAINTEXT => None,
            _ => Some(sealed.key_id.clone()),
        },
        // Sealed before the check row existed: any sealed value under another key says so.
        None => store::other_sealing_key(pool, sealer.key_id()).await.map_err(db)?,
    };
    if let Some(expected) = expected {
        let made = if new_key.is_some() { " No master key was set and no key file was found, so none was loaded;" } else { "" };
        return Err(format!(
            "the database was sealed under master key {expected}, but the loaded master key is {}.{made} Point \
             XOPS_MASTER_KEY (or XOPS_MASTER_KEY_FILE) at the key that sealed it: restore the key file from the backup \
             kept with this database. Nothing was changed.",
            sealer.key_id()
        ));
    }
    if let Some(new_key) = new_key {
        new_key.write()?;
    }
    if check.is_none() {
        let sealed = sealer.seal(CHECK_PLAINTEXT, CHECK_CONTEXT).map_err(|e| e.to_string())?;
        store::insert_master_key_check(pool, &sealed, super::now())
            .await
            .map_err(|e| format!("cannot record the master key check: {e}"))?;
    }
    Ok(())
}
