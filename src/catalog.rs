//! The service catalogue: for each service id, what the citizen is told. Data, not logic: it is
//! read from `data/services.toml` and stored inside the model so a model answers on its own.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::language::Language;

/// The id of the service for requests that are not about an INPS benefit.
pub const OUT_OF_SCOPE: &str = "fuori_ambito";

/// One public service and the answers about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Official name (in Italian; a translation glosses the Italian names people meet on forms).
    pub name: String,
    /// Two or three short sentences in plain words.
    pub simple: String,
    /// Who is entitled, requirements, how to apply, documents.
    pub detailed: String,
    /// The official page on the INPS site.
    pub url: String,
    /// False for measures that have ended.
    pub active: bool,
    /// Still active, or ended when and replaced by what.
    pub status_note: String,
    /// What to do next, in order.
    pub next_steps: Vec<String>,
    /// A few words citizens use for it (documentation only: the model learns from examples).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// All services, by id, in id order, in Italian and in the languages it is translated into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub services: BTreeMap<String, Service>,
    /// The same services in other languages (never Italian), each with every service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Language, BTreeMap<String, Service>>,
}

impl Catalog {
    /// Reads and checks a catalogue file, with its translations: the files beside it named
    /// with a language code before the extension (`services.de.toml`, `services.en.toml` for
    /// `services.toml`), each a catalogue of the same services.
    pub fn load(path: &Path) -> Result<Self> {
        let read = |path: &Path| -> Result<Catalog> {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            Self::parse(&text).map_err(|message| Error::Catalog {
                path: path.to_path_buf(),
                message,
            })
        };
        let mut catalog = read(path)?;
        for language in Language::ALL.into_iter().filter(|&l| l != Language::It) {
            let translated = translation_path(path, language);
            if !translated.is_file() {
                continue;
            }
            let mut translation = read(&translated)?;
            if !translation.translations.is_empty() {
                return Err(Error::Catalog {
                    path: translated,
                    message: "a translation cannot hold translations of its own".into(),
                });
            }
            // the translation alone was checked as a catalogue when parsed
            catalog
                .check_translation(language, &translation.services)
                .map_err(|message| Error::Catalog {
                    path: translated,
                    message,
                })?;
            catalog
                .translations
                .insert(language, std::mem::take(&mut translation.services));
        }
        Ok(catalog)
    }

    /// Parses a catalogue from TOML and checks it.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let catalog: Catalog = toml::from_str(text).map_err(|e| e.to_string())?;
        catalog.check()?;
        Ok(catalog)
    }

    /// Checks that every service is complete, that the out-of-scope service exists, and that
    /// every translation has the same services, each complete and as active as in Italian.
    pub fn check(&self) -> std::result::Result<(), String> {
        self.check_services()?;
        self.translations
            .iter()
            .try_for_each(|(&language, services)| self.check_translation(language, services))
    }

    /// Checks a translation against the catalogue: not Italian, the same services, each
    /// complete, as active and with as many next steps.
    fn check_translation(
        &self,
        language: Language,
        services: &BTreeMap<String, Service>,
    ) -> std::result::Result<(), String> {
        if language == Language::It {
            return Err("Italian is the catalogue's own language, not a translation".into());
        }
        let missing: Vec<&String> = self
            .services
            .keys()
            .filter(|id| !services.contains_key(*id))
            .collect();
        let extra: Vec<&String> = services
            .keys()
            .filter(|id| !self.services.contains_key(*id))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(format!(
                "the {language} translation lacks the services {missing:?} and has others \
                     the catalogue does not: {extra:?}"
            ));
        }
        for (id, service) in services {
            check_service(id, service).map_err(|m| format!("{language} translation: {m}"))?;
            let italian = &self.services[id];
            if service.active != italian.active {
                return Err(format!(
                    "{language} translation: service `{id}` is active in one language only"
                ));
            }
            if service.next_steps.len() != italian.next_steps.len() {
                return Err(format!(
                    "{language} translation: service `{id}` has {} next steps, the \
                         catalogue {}",
                    service.next_steps.len(),
                    italian.next_steps.len()
                ));
            }
        }
        Ok(())
    }

    fn check_services(&self) -> std::result::Result<(), String> {
        if !self.services.contains_key(OUT_OF_SCOPE) {
            return Err(format!("needs the service `{OUT_OF_SCOPE}`"));
        }
        if self.services.len() < 2 {
            return Err(format!(
                "needs at least two services (found {})",
                self.services.len()
            ));
        }
        self.services
            .iter()
            .try_for_each(|(id, service)| check_service(id, service))
    }

    /// Service ids in their fixed order; a label's index is its position here.
    pub fn labels(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }

    pub fn get(&self, id: &str) -> Option<&Service> {
        self.services.get(id)
    }

    /// The services in `language` if the catalogue is translated into it, else in Italian; and
    /// the language they are in.
    pub fn in_language(&self, language: Language) -> (Language, &BTreeMap<String, Service>) {
        match self.translations.get(&language) {
            Some(services) => (language, services),
            None => (Language::It, &self.services),
        }
    }

    /// The languages of the answers: Italian and the translations.
    pub fn languages(&self) -> Vec<Language> {
        std::iter::once(Language::It)
            .chain(self.translations.keys().copied())
            .collect()
    }
}

/// The file of a catalogue's translation: `services.de.toml` for `services.toml`.
fn translation_path(path: &Path, language: Language) -> std::path::PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(extension) => format!("{stem}.{language}.{}", extension.to_string_lossy()),
        None => format!("{stem}.{language}"),
    };
    path.with_file_name(name)
}

/// Checks one service: a valid id and every text present.
fn check_service(id: &str, s: &Service) -> std::result::Result<(), String> {
    let valid_id = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_id {
        return Err(format!(
            "service id `{id}` must be lowercase ASCII letters, digits and underscores"
        ));
    }
    for (field, value) in [
        ("name", &s.name),
        ("simple", &s.simple),
        ("detailed", &s.detailed),
        ("url", &s.url),
        ("status_note", &s.status_note),
    ] {
        if value.trim().is_empty() {
            return Err(format!("service `{id}` has an empty `{field}`"));
        }
    }
    if !s.url.starts_with("https://") {
        return Err(format!("service `{id}`: url must start with https://"));
    }
    if s.next_steps.is_empty() {
        return Err(format!("service `{id}` has no next_steps"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
[services.naspi]
name = "NASpI"
simple = "Indennità di disoccupazione."
detailed = "Spetta a chi perde il lavoro."
url = "https://www.inps.it/naspi"
active = true
status_note = "Attiva."
next_steps = ["Fai domanda online"]

[services.fuori_ambito]
name = "Fuori ambito"
simple = "Non riguarda l'INPS."
detailed = "Rivolgiti all'ufficio competente."
url = "https://www.inps.it/contatti"
active = true
status_note = "-"
next_steps = ["Rivolgiti all'ufficio giusto"]
"#;

    #[test]
    fn parses_and_orders_labels() {
        let catalog = Catalog::parse(TWO).unwrap();
        assert_eq!(catalog.labels(), vec!["fuori_ambito", "naspi"]);
        assert_eq!(catalog.get("naspi").unwrap().name, "NASpI");
    }

    #[test]
    fn rejects_incomplete_catalogues() {
        let no_out_of_scope = TWO.split("[services.fuori_ambito]").next().unwrap();
        assert!(
            Catalog::parse(no_out_of_scope)
                .unwrap_err()
                .contains("fuori_ambito")
        );
        let empty_name = TWO.replacen("name = \"NASpI\"", "name = \" \"", 1);
        assert!(Catalog::parse(&empty_name).unwrap_err().contains("name"));
        let unknown_field = TWO.replacen("active = true", "active = true\ncolour = 1", 1);
        assert!(Catalog::parse(&unknown_field).is_err());
    }

    #[test]
    fn shipped_catalogue_has_the_eleven_services() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/services.toml");
        let catalog = Catalog::load(&path).unwrap();
        assert_eq!(
            catalog.labels(),
            vec![
                "assegno_unico",
                "bonus_baby_sitting",
                "bonus_domestici",
                "cassa_integrazione",
                "congedo_parentale",
                "fuori_ambito",
                "indennita_autonomi",
                "naspi",
                "pensione",
                "reddito_cittadinanza",
                "reddito_emergenza",
            ]
        );
        for id in [
            "reddito_emergenza",
            "reddito_cittadinanza",
            "bonus_baby_sitting",
        ] {
            assert!(!catalog.get(id).unwrap().active, "{id} has ended");
        }
        // translated into every language requests are told in, service by service
        assert_eq!(catalog.languages(), Language::ALL.to_vec());
        let (language, german) = catalog.in_language(Language::De);
        assert_eq!(language, Language::De);
        assert!(german["naspi"].simple.contains("Antrag"));
        assert!(
            catalog.in_language(Language::Fr).1["naspi"]
                .simple
                .contains("chômage")
        );
    }

    #[test]
    fn translations_are_read_from_the_files_beside_the_catalogue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("services.toml");
        std::fs::write(&path, TWO).unwrap();
        assert!(Catalog::load(&path).unwrap().translations.is_empty());

        let english = TWO
            .replace("Indennità di disoccupazione.", "Unemployment benefit.")
            .replace("Fai domanda online", "Apply online");
        std::fs::write(dir.path().join("services.en.toml"), &english).unwrap();
        let catalog = Catalog::load(&path).unwrap();
        let (language, services) = catalog.in_language(Language::En);
        assert_eq!(language, Language::En);
        assert_eq!(services["naspi"].simple, "Unemployment benefit.");
        assert_eq!(catalog.in_language(Language::De).1, &catalog.services);

        // a translation must have the same services, as active as in Italian
        let naspi = &TWO
            [TWO.find("[services.naspi]").unwrap()..TWO.find("[services.fuori_ambito]").unwrap()];
        let extra = english.clone() + &naspi.replace("[services.naspi]", "[services.altro]");
        std::fs::write(dir.path().join("services.en.toml"), extra).unwrap();
        let error = Catalog::load(&path).unwrap_err().to_string();
        assert!(
            error.contains("services.en.toml")
                && error.contains("en translation")
                && error.contains("has others")
                && error.contains("altro"),
            "{error}"
        );
        let ended = english.replacen("active = true", "active = false", 1);
        std::fs::write(dir.path().join("services.en.toml"), ended).unwrap();
        let error = Catalog::load(&path).unwrap_err().to_string();
        assert!(error.contains("active in one language only"), "{error}");
        let more_steps = english.replacen(
            "next_steps = [\"Apply online\"]",
            "next_steps = [\"Apply online\", \"Wait\"]",
            1,
        );
        std::fs::write(dir.path().join("services.en.toml"), more_steps).unwrap();
        let error = Catalog::load(&path).unwrap_err().to_string();
        assert!(error.contains("2 next steps"), "{error}");
        // Italian is no translation, and a translation has none of its own
        let mut catalog = Catalog::parse(TWO).unwrap();
        catalog
            .translations
            .insert(Language::It, catalog.services.clone());
        assert!(catalog.check().unwrap_err().contains("Italian"));
        let nested = english.clone() + "\n[translations.de.naspi]\nname = \"x\"\n";
        std::fs::write(dir.path().join("services.en.toml"), nested).unwrap();
        assert!(Catalog::load(&path).is_err());
    }
}
