//! `server backup FILE`: on SQLite, a consistent copy of the live database
//! taken while a writer keeps committing; the copy holds every write
//! acknowledged before the backup began, passes `integrity_check`, and a
//! server started on it (the restore) serves the admin made before. A
//! backup never overwrites a file. On PostgreSQL the command says to use
//! `pg_dump` and exits 1, writing nothing.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{Engine, fresh_database, spawn_app_on};

fn run_backup(database_url: &str, dir: &Path, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("backup")
        .arg(file)
        .env("DATABASE_URL", database_url)
        .env("MUSTER_SECRET_FILE", dir.join("secret.key"))
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_live_database_is_copied_with_every_write_acknowledged_before() {
        let (database_url, dir) = fresh_database(Engine::Sqlite).await;
        let app = spawn_app_on(&database_url, &dir).await;
        app.create_admin("ada@example.com").await;
        let pool = app.state.db.pool.clone();
        // Bulk, so the copy takes a while: ~8 MB.
        let padding = "p".repeat(200);
        for batch in 0..40 {
            let mut tx = pool.begin().await.unwrap();
            for i in 0..1000 {
                sqlx::query(
                    "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 0)",
                )
                .bind(format!("bulk-{batch}-{i}-{padding}"))
                .bind(i64::MAX / 2)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }

        // A writer that commits one row at a time and records each commit
        // once it is acknowledged.
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = tokio::spawn({
            let (acked, stop, pool) = (acked.clone(), stop.clone(), pool.clone());
            async move {
                let mut n = 0_u64;
                while !stop.load(Ordering::SeqCst) {
                    let bucket = format!("write-{n}");
                    sqlx::query(
                        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)",
                    )
                    .bind(&bucket)
                    .bind(i64::MAX / 2)
                    .execute(&pool)
                    .await
                    .unwrap();
                    acked.lock().unwrap().push(bucket);
                    n += 1;
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;

        let file = dir.join("backup").join("muster-copy.db");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let before: Vec<String> = acked.lock().unwrap().clone();
        assert!(!before.is_empty(), "the writer wrote before the backup");
        let started = Instant::now();
        let output = tokio::task::spawn_blocking({
            let (url, dir, file) = (database_url.clone(), dir.clone(), file.clone());
            move || run_backup(&url, &dir, &file)
        })
        .await
        .unwrap();
        let took = started.elapsed();
        let during = acked.lock().unwrap().len() - before.len();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();
        let total = acked.lock().unwrap().len();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("Backed up") && stdout.contains("MUSTER_SECRET_FILE"),
            "{stdout}"
        );
        println!(
            "backup took {took:?}; {} writes before it, {during} while it ran, {total} in all",
            before.len()
        );
        assert!(
            total > before.len() + during,
            "the writer went on after the backup"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the copy is private");
        }

        // The copy opens, is intact and holds every write acknowledged
        // before the backup began (and no write acknowledged after it ended).
        let copy_url = format!("sqlite://{}", file.display());
        let copy = backend::db::Db::connect(&copy_url).await.unwrap();
        let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&copy.pool)
            .await
            .unwrap();
        assert_eq!(check, "ok");
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT bucket FROM rate_limits WHERE bucket LIKE 'write-%'")
                .fetch_all(&copy.pool)
                .await
                .unwrap();
        let in_copy: HashSet<String> = rows.into_iter().map(|(bucket,)| bucket).collect();
        let missing: Vec<_> = before.iter().filter(|b| !in_copy.contains(*b)).collect();
        assert!(missing.is_empty(), "missing from the copy: {missing:?}");
        assert!(
            in_copy.len() <= before.len() + during + 1,
            "{} in the copy",
            in_copy.len()
        );
        let (bulk,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM rate_limits WHERE bucket LIKE 'bulk-%'")
                .fetch_one(&copy.pool)
                .await
                .unwrap();
        assert_eq!(bulk, 40_000);
        copy.pool.close().await;

        // Restore: a server on the copy (with the same secret) serves the
        // admin made before the backup.
        let restored = spawn_app_on(&copy_url, &dir).await;
        let session = restored.sign_in("ada@example.com").await;
        assert!(
            restored
                .site
                .page("/team", Some(&session))
                .await
                .contains("ada@example.com")
        );

        // A backup never overwrites.
        let again = run_backup(&database_url, &dir, &file);
        assert!(!again.status.success());
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("already exists"),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert!(
            backend::db::Db::connect(&copy_url).await.is_ok(),
            "the earlier copy is intact"
        );
    }

    #[tokio::test]
    async fn a_missing_database_is_not_backed_up() {
        let dir = std::env::temp_dir().join(format!("muster-test-{}", backend::tokens::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/none.db", dir.display());
        let file = dir.join("copy.db");
        let output = run_backup(&url, &dir, &file);
        assert_eq!(output.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&output.stderr).contains("no database"));
        assert!(!file.exists() && !dir.join("none.db").exists());
    }
}

mod postgres {
    use super::*;

    #[tokio::test]
    async fn backup_says_to_use_pg_dump() {
        let (database_url, dir) = fresh_database(Engine::Postgres).await;
        let file = dir.join("copy.db");
        let output = run_backup(&database_url, &dir, &file);
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("pg_dump") && stderr.contains("pg_restore"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("muster:muster"),
            "the URL's password is not echoed"
        );
        assert!(!file.exists());
    }
}
