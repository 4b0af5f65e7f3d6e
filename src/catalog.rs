//! The service catalogue: for each service id, what the citizen is told. Data, not logic: it is
//! read from `data/services.toml` and stored inside the model so a model answers on its own.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The id of the service for requests that are not about an INPS benefit.
pub const OUT_OF_SCOPE: &str = "fuori_ambito";

/// One public service and the answers about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Official Italian name.
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

/// All services, by id, in id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub services: BTreeMap<String, Service>,
}

impl Catalog {
    /// Reads and checks a catalogue file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text).map_err(|message| Error::Catalog {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses a catalogue from TOML and checks it.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let catalog: Catalog = toml::from_str(text).map_err(|e| e.to_string())?;
        catalog.check()?;
        Ok(catalog)
    }

    /// Checks that every service is complete and that the out-of-scope service exists.
    pub fn check(&self) -> std::result::Result<(), String> {
        if !self.services.contains_key(OUT_OF_SCOPE) {
            return Err(format!("needs the service `{OUT_OF_SCOPE}`"));
        }
        if self.services.len() < 2 {
            return Err(format!(
                "needs at least two services (found {})",
                self.services.len()
            ));
        }
        for (id, s) in &self.services {
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
        }
        Ok(())
    }

    /// Service ids in their fixed order; a label's index is its position here.
    pub fn labels(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }

    pub fn get(&self, id: &str) -> Option<&Service> {
        self.services.get(id)
    }
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
    }
}
