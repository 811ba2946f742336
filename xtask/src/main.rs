//! The build: `cargo xtask build [--release]` and `cargo xtask serve [--release]`.
//!
//! 1. `frontend` is built for wasm32 in its own target folder, so the `app`
//!    crate's `hydrate` and `ssr` features never unify;
//! 2. wasm-bindgen (the library, pinned to the exact version the frontend
//!    links) writes `<site_root>/<pkg>/<output_name>.js` and `…_bg.wasm`;
//!    a release build then runs `wasm-opt -Oz` (npm's binaryen);
//! 3. the stylesheet and `public/` are copied into the site, and so is the
//!    API docs viewer (npm's `swagger-ui-dist`, installed by
//!    `scripts/setup.sh`) into `api-docs/` (`/api/docs` loads it);
//! 4. `server` is built (unless `--skip-server`: `make test` runs the binary
//!    `cargo test` already built, whose dev-dependency features differ, so a
//!    second `cargo build` would recompile half the tree). Sizes (raw and
//!    gzip) are printed.
//!
//! The server build starts first, in the background, and the wasm half
//! builds beside it (their target folders differ, so neither waits for the
//! other's lock): on a cold two-core machine the stretches where one build
//! runs a single long job (a proc-macro crate, linking) leave the other
//! core to the other build. Each phase prints a line when it starts and
//! when it ends, with the time since the build began.
//!
//! Site options come from `Leptos.toml`, the same file the server reads.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Instant;

use anyhow::{Context as _, bail};
use serde::Deserialize;

#[derive(Deserialize)]
struct SiteFile {
    output_name: String,
    site_root: String,
    site_pkg_dir: String,
    style_file: String,
    assets_dir: String,
}

struct Build {
    root: PathBuf,
    target_dir: PathBuf,
    release: bool,
    skip_server: bool,
    site: SiteFile,
    started: Instant,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let release = args.iter().any(|arg| arg == "--release");
    let skip_server = args.iter().any(|arg| arg == "--skip-server");
    let root = workspace_root(&std::env::current_dir()?)?;
    let site: SiteFile = toml::from_str(&std::fs::read_to_string(root.join("Leptos.toml"))?)?;
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let build = Build {
        root,
        target_dir,
        release,
        skip_server,
        site,
        started: Instant::now(),
    };
    match args.first().map(String::as_str) {
        Some("build") => build.all(),
        Some("serve") => {
            build.all()?;
            build.serve()
        }
        _ => bail!("usage: cargo xtask build|serve [--release] [--skip-server]"),
    }
}

/// The workspace that holds `dir`, found when the build runs: a path baked
/// in at compile time would name whichever checkout first built xtask into
/// a shared `CARGO_TARGET_DIR`.
fn workspace_root(dir: &Path) -> anyhow::Result<PathBuf> {
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(dir)
        .output()
        .context("running cargo locate-project")?;
    if !output.status.success() {
        bail!(
            "no Cargo workspace around {}: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let manifest = PathBuf::from(String::from_utf8(output.stdout)?.trim());
    Ok(manifest
        .parent()
        .context("a manifest path has a parent")?
        .to_path_buf())
}

fn wait(name: &str, mut child: Child) -> anyhow::Result<()> {
    let status = child
        .wait()
        .with_context(|| format!("waiting for {name}"))?;
    if !status.success() {
        bail!("{name} failed with {status}");
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    eprintln!("xtask: {command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

impl Build {
    fn cargo(&self) -> Command {
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command.current_dir(&self.root);
        command
    }

    fn site_root(&self) -> PathBuf {
        self.root.join(&self.site.site_root)
    }

    fn pkg_dir(&self) -> PathBuf {
        self.site_root().join(&self.site.site_pkg_dir)
    }

    /// Prints a phase line: what happens, and the time since the start.
    fn phase(&self, what: &str) {
        let elapsed = self.started.elapsed().as_secs();
        eprintln!("xtask [{}:{:02}] {what}", elapsed / 60, elapsed % 60);
    }

    fn all(&self) -> anyhow::Result<()> {
        let server = if self.skip_server {
            None
        } else {
            self.phase("server: cargo build -p server (in the background)");
            Some(self.server()?)
        };
        let site = self.frontend().and_then(|()| {
            self.phase("site: stylesheet and public/ copied");
            self.assets()
        });
        if let Err(error) = site {
            if let Some(mut server) = server {
                // Not left building on its own after the error.
                let _ = server.kill();
                let _ = server.wait();
            }
            return Err(error);
        }
        if let Some(server) = server {
            self.phase("waiting for the server build");
            wait("cargo build -p server", server)?;
        }
        self.phase("built");
        self.print_sizes()
    }

    fn frontend(&self) -> anyhow::Result<()> {
        self.phase("browser half: cargo build -p frontend for wasm32");
        let front_target = self.target_dir.join("front");
        let profile = if self.release {
            "wasm-release"
        } else {
            "wasm-dev"
        };
        run(self
            .cargo()
            .args([
                "build",
                "-p",
                "frontend",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args(["--profile", profile])
            .arg("--target-dir")
            .arg(&front_target))?;
        let wasm = front_target
            .join("wasm32-unknown-unknown")
            .join(profile)
            .join("frontend.wasm");
        let pkg = self.pkg_dir();
        std::fs::create_dir_all(&pkg)?;
        self.phase(&format!(
            "browser half: wasm-bindgen {} -> {}",
            wasm.display(),
            pkg.display()
        ));
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&wasm)
            .out_name(&self.site.output_name)
            .web(true)?
            .typescript(false)
            .debug(!self.release)
            .remove_name_section(self.release)
            .remove_producers_section(self.release)
            .generate(&pkg)
            .context("running wasm-bindgen")?;
        if self.release {
            self.phase("browser half: wasm-opt -Oz");
            self.wasm_opt(&pkg.join(format!("{}_bg.wasm", self.site.output_name)))?;
        }
        Ok(())
    }

    /// `wasm-opt -Oz` from npm's binaryen (Debian's binaryen 108 produces
    /// wasm that browsers reject; see TOOLCHAIN.md).
    fn wasm_opt(&self, wasm: &Path) -> anyhow::Result<()> {
        let tool = self.root.join("end2end/node_modules/.bin/wasm-opt");
        if !tool.exists() {
            bail!(
                "{} is missing: run `make setup` (it installs npm's binaryen)",
                tool.display()
            );
        }
        run(Command::new(tool)
            .arg("-Oz")
            .arg("--enable-bulk-memory")
            .arg("--enable-nontrapping-float-to-int")
            .arg("--enable-sign-ext")
            .arg("--enable-mutable-globals")
            .arg("--enable-reference-types")
            .arg("--enable-multivalue")
            .arg(wasm)
            .arg("-o")
            .arg(wasm))
    }

    fn assets(&self) -> anyhow::Result<()> {
        let css = self
            .pkg_dir()
            .join(format!("{}.css", self.site.output_name));
        std::fs::copy(self.root.join(&self.site.style_file), &css)
            .with_context(|| format!("copying {}", self.site.style_file))?;
        copy_dir(&self.root.join(&self.site.assets_dir), &self.site_root())?;
        self.api_docs_viewer()
    }

    /// Copies Swagger UI's bundle, stylesheet and licence from npm's
    /// `swagger-ui-dist` into `<site>/api-docs/` (served from our origin, so
    /// `/api/docs` needs no CDN and keeps the CSP).
    fn api_docs_viewer(&self) -> anyhow::Result<()> {
        let from = self.root.join("end2end/node_modules/swagger-ui-dist");
        if !from.join("swagger-ui-bundle.js").exists() {
            bail!(
                "{} is missing: run `scripts/setup.sh run` (or `make setup`), which installs the npm packages",
                from.display()
            );
        }
        let to = self.site_root().join("api-docs");
        std::fs::create_dir_all(&to)?;
        for file in [
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "LICENSE",
            "NOTICE",
        ] {
            std::fs::copy(from.join(file), to.join(file))
                .with_context(|| format!("copying swagger-ui-dist/{file}"))?;
        }
        Ok(())
    }

    /// Starts the server build; [`wait`] for it.
    fn server(&self) -> anyhow::Result<Child> {
        let mut command = self.cargo();
        command.args(["build", "-p", "server"]);
        if self.release {
            command.arg("--release");
        }
        eprintln!("xtask: {command:?}");
        command
            .spawn()
            .with_context(|| format!("starting {command:?}"))
    }

    fn print_sizes(&self) -> anyhow::Result<()> {
        let pkg = self.pkg_dir();
        let name = &self.site.output_name;
        println!("{:<24} {:>12} {:>12}", "file", "raw bytes", "gzip bytes");
        let mut total = (0, 0);
        for file in [
            format!("{name}_bg.wasm"),
            format!("{name}.js"),
            format!("{name}.css"),
        ] {
            let bytes =
                std::fs::read(pkg.join(&file)).with_context(|| format!("reading {file}"))?;
            let gzip = gzip_len(&bytes)?;
            total = (total.0 + bytes.len(), total.1 + gzip);
            println!("{file:<24} {:>12} {gzip:>12}", bytes.len());
        }
        println!("{:<24} {:>12} {:>12}", "total", total.0, total.1);
        Ok(())
    }

    fn serve(&self) -> anyhow::Result<()> {
        self.phase("serving: the server prints its address when it listens");
        let binary = self
            .target_dir
            .join(if self.release { "release" } else { "debug" })
            .join("server");
        run(Command::new(binary).current_dir(&self.root))
    }
}

#[cfg(test)]
mod tests {
    use super::workspace_root;

    #[test]
    fn the_workspace_is_the_one_around_the_current_folder_not_the_one_xtask_was_built_in() {
        let other = std::env::temp_dir().join(format!("xtask-root-{}", std::process::id()));
        std::fs::create_dir_all(other.join("nested")).unwrap();
        std::fs::write(other.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        let found = workspace_root(&other.join("nested")).unwrap();
        std::fs::remove_dir_all(&other).unwrap();
        assert_eq!(found, other);
        assert_ne!(
            found,
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap()
        );
    }
}
