//! `argon2-rate [SECONDS] [THREADS]`: verifies one argon2id hash
//! (m=19456 KiB, t=2, p=1, as the server) in a loop on THREADS threads
//! (default: the core count) for SECONDS (default 5) and prints
//! `verifies_per_second=<rate> threads=<n> verifies=<count> seconds=<s>`.

use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map_or(5.0, |s| s.parse().expect("SECONDS"));
    let threads: usize = args.next().map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        |s| s.parse().expect("THREADS"),
    );
    let password = b"correct horse battery staple 42";
    let salt = SaltString::generate(&mut OsRng);
    let stored = argon2()
        .hash_password(password, &salt)
        .expect("hash")
        .to_string();
    let run_for = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let stored = stored.clone();
            std::thread::spawn(move || {
                let mut count = 0u64;
                while start.elapsed() < run_for {
                    // Parse and verify each time, like the server does.
                    let parsed = PasswordHash::new(&stored).expect("PHC string");
                    argon2()
                        .verify_password(password, &parsed)
                        .expect("the password matches");
                    count += 1;
                }
                count
            })
        })
        .collect();
    let verifies: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "verifies_per_second={:.1} threads={threads} verifies={verifies} seconds={elapsed:.2} \
         cpu_ms_per_verify={:.2}",
        verifies as f64 / elapsed,
        cpu_seconds() * 1000.0 / verifies.max(1) as f64
    );
}

/// This process's user + system CPU time so far (Linux, /proc/self/stat;
/// assumes the usual 100 clock ticks a second).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime: fields 14 and 15 of the line, 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
