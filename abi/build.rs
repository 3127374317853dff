//! Link arguments of the shared library that depend on the target, so every
//! build of libnook (not only the release script's) gets them.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    match os.as_str() {
        // Without this, the dylib records its build path as its install name
        // and every program linked against it looks for it there at run time.
        "macos" | "ios" => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libnook.dylib")
        }
        // Android 15 devices may use 16 KiB pages; a library whose LOAD
        // segments are aligned to 4 KiB does not load on them (Google Play
        // requires 16 KiB alignment since November 2025).
        "android" => println!("cargo:rustc-cdylib-link-arg=-Wl,-z,max-page-size=16384"),
        _ => {}
    }
    println!("cargo:rerun-if-changed=build.rs");
}
