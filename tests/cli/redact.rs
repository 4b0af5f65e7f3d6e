//! `sportello redact`, and personal data never reaching output or model files.

use crate::util::*;

/// Deliberately fake personal data (valid check digits so the detectors accept them).
const FAKE: [&str; 6] = [
    "RSSMRA85T10A562S",
    "IT60X0542811101000000123456",
    "giuseppe.verdi@pec.it",
    "333 123 4567",
    "12/03/1960",
    "Giuseppe Verdi",
];

fn letter() -> String {
    format!(
        "Il sottoscritto {}, nato il {}, C.F. {}, IBAN {}, tel. {}, e-mail {}, chiede la NASpI \
         ai sensi della legge 104/1992, protocollo n. 1234567. Distinti saluti",
        FAKE[5], FAKE[4], FAKE[0], FAKE[1], FAKE[3], FAKE[2]
    )
}

#[test]
fn redacts_every_kind_and_keeps_law_and_protocol_numbers() {
    let output = sportello()
        .args(["redact", "--json", &letter()])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = json["text"].as_str().unwrap();
    for item in FAKE {
        assert!(!text.contains(item), "{item} left in {text}");
    }
    assert!(
        text.contains("legge 104/1992") && text.contains("1234567"),
        "{text}"
    );
    let found: Vec<&str> = json["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for kind in [
        "persona",
        "data_nascita",
        "codice_fiscale",
        "iban",
        "telefono",
        "email",
    ] {
        assert!(found.contains(&kind), "{kind} not in {found:?}");
    }
    assert!(!String::from_utf8_lossy(&output.stdout).contains("Verdi"));
}

#[test]
fn batch_redacts_in_order_and_copies_fields() {
    let input = format!(
        "{{\"id\":1,\"text\":\"scrivete a {}\"}}\n{{\"id\":2,\"text\":\"niente di personale\"}}\nnot json\n",
        FAKE[2]
    );
    let output = sportello()
        .args(["redact", "--batch", "-", "--json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "the bad line makes the exit status say so"
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["text"], "scrivete a [EMAIL]");
    assert_eq!(rows[0]["found"], serde_json::json!(["email"]));
    assert_eq!(rows[1]["text"], "niente di personale");
    assert_eq!(rows[2]["line"], 3);
}

#[test]
fn classify_never_echoes_personal_data() {
    for args in [vec!["classify", "--json"], vec!["classify"]] {
        let output = sportello().args(&args).arg(letter()).output().unwrap();
        assert!(output.status.success());
        let out = String::from_utf8(output.stdout).unwrap();
        for item in FAKE {
            assert!(!out.contains(item), "{item} echoed: {out}");
        }
    }
}

#[test]
fn training_on_personal_data_leaves_none_in_the_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.jsonl");
    let mut lines = std::fs::read_to_string(fixture("mini_train.jsonl")).unwrap();
    for (i, extra) in [
        letter(),
        format!(
            "mi chiamo {} e la mia pensione non arriva, chiamatemi al {}",
            FAKE[5], FAKE[3]
        ),
        format!("la pensione va accreditata sull'IBAN {} grazie", FAKE[1]),
        format!("sono disoccupato, il mio codice fiscale è {}", FAKE[0]),
    ]
    .iter()
    .enumerate()
    {
        let label = if i == 1 || i == 2 {
            "pensione"
        } else {
            "naspi"
        };
        lines.push_str(&serde_json::json!({"text": extra, "label": label}).to_string());
        lines.push('\n');
    }
    std::fs::write(&data, lines).unwrap();
    let out = dir.path().join("model");
    let output = train_mini_on(&data, &out);
    succeeded(&output);
    let summary = String::from_utf8(output.stdout).unwrap();
    assert!(
        summary.contains("Personal data redacted before training in 4 examples"),
        "{summary}"
    );
    let fragments = [
        "RSSMRA", "X0542811", "giuseppe", "verdi", "Verdi", "1234567 ", "123 4567", "1960",
    ];
    for (name, bytes) in folder_bytes(&out) {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for fragment in fragments {
            assert!(
                !text.contains(&fragment.to_lowercase()),
                "{fragment} found in {name}"
            );
        }
    }
}
