//! Regenerates the committed Kotlin and Swift bindings from the FFI library (see
//! `healthpass_tests::bindings`); run after changing the FFI's exported API.

use healthpass_tests::bindings::{self, Language};

fn main() {
    let result = bindings::build_library_and_generator().and_then(|()| {
        for language in [Language::Kotlin, Language::Swift] {
            let out_dir = bindings::target_dir().join("bindings").join(language.name());
            bindings::generate(language, &out_dir)?;
            bindings::commit(language, &out_dir)?;
            for binding in language.committed() {
                println!("wrote {}", binding.committed);
            }
        }
        Ok(())
    });
    if let Err(message) = result {
        eprintln!("generate-bindings: {message}");
        std::process::exit(1);
    }
}
