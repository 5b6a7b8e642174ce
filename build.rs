// The default theme is embedded with include_dir!, which cannot tell cargo about new files.
fn main() {
    println!("cargo:rerun-if-changed=themes/default");
}
