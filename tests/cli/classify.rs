//! `sportello classify`, with the shipped model in `models/`.

use crate::util::*;

fn classify_json(text: &str) -> serde_json::Value {
    let output = sportello()
        .args(["classify", "--json", text])
        .output()
        .unwrap();
    succeeded(&output);
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Standard output of a successful `sportello classify ARGS…`.
fn classify_stdout(args: &[&str]) -> String {
    let output = sportello().arg("classify").args(args).output().unwrap();
    succeeded(&output);
    String::from_utf8(output.stdout).unwrap()
}

/// The `request_language` and `language` of a JSON answer.
fn languages(json: &serde_json::Value) -> (&str, &str) {
    let field = |name: &str| json[name].as_str().unwrap();
    (field("request_language"), field("language"))
}

/// The `request_language` and `language` of a JSON answer printed by `classify_stdout`.
fn printed_languages(printed: &str) -> (String, String) {
    let json: serde_json::Value = serde_json::from_str(printed).unwrap();
    let (request, answer) = languages(&json);
    (request.to_string(), answer.to_string())
}

#[test]
fn json_output_has_the_contract_fields() {
    let json = classify_json("Mi hanno licenziato, posso chiedere la disoccupazione?");
    assert_eq!(json["service"], "naspi");
    let confidence = json["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));
    assert!(json["abstained"].is_boolean());
    let alternatives = json["alternatives"].as_array().unwrap();
    assert_eq!(
        alternatives.len(),
        2,
        "top-k 3 = the service and two alternatives"
    );
    for a in alternatives {
        assert!(a["service"].is_string() && a["confidence"].is_f64());
        assert!(a["confidence"].as_f64().unwrap() <= confidence);
    }
    let explanation = json["explanation"].as_array().unwrap();
    assert!(!explanation.is_empty());
    for e in explanation {
        assert!(e["term"].is_string() && e["weight"].is_f64());
    }
}

#[test]
fn explanations_name_whole_words_of_the_request() {
    let text = "la cassa integrazione di marzo non è ancora stata pagata";
    let json = classify_json(text);
    assert_eq!(json["service"], "cassa_integrazione");
    let words: Vec<&str> = text.split_whitespace().collect();
    for e in json["explanation"].as_array().unwrap() {
        let term = e["term"].as_str().unwrap();
        assert!(words.contains(&term), "{term} is not a word of the request");
    }
}

#[test]
fn human_output_gives_service_reasons_answer_and_alternatives() {
    let output = sportello()
        .args(["classify", "quando arriva la pensione di luglio?"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Servizio consigliato: "), "{text}");
    assert!(text.contains("(pensione)"), "{text}");
    assert!(text.contains("Perché: "), "{text}");
    assert!(text.contains("Cosa fare:"), "{text}");
    assert!(text.contains("Pagina ufficiale: https://"), "{text}");
    assert!(text.contains("Alternative: "), "{text}");
}

#[test]
fn reads_standard_input_when_no_text_is_given() {
    let output = sportello()
        .args(["classify", "--json"])
        .write_stdin("il mio assegno unico per i figli non è arrivato")
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["service"], "assegno_unico");
}

#[test]
fn style_chooses_the_register() {
    let simple = sportello()
        .args([
            "classify",
            "--json",
            "--style",
            "simple",
            "quando pagano la naspi",
        ])
        .output()
        .unwrap();
    let detailed = sportello()
        .args([
            "classify",
            "--json",
            "--style",
            "detailed",
            "quando pagano la naspi",
        ])
        .output()
        .unwrap();
    let simple: serde_json::Value = serde_json::from_slice(&simple.stdout).unwrap();
    let detailed: serde_json::Value = serde_json::from_slice(&detailed.stdout).unwrap();
    assert_eq!(simple["style"], "simple");
    assert_eq!(detailed["style"], "detailed");
    let (s, d) = (
        simple["answer"]["text"].as_str().unwrap(),
        detailed["answer"]["text"].as_str().unwrap(),
    );
    assert!(d.len() > s.len(), "the detailed answer is the fuller one");
    // auto: a short chat message gets the simple answer, a formal letter the detailed one
    assert_eq!(classify_json("naspi quando pagate??")["style"], "simple");
    let letter = "Spett.le INPS, il sottoscritto, licenziato in data 3 marzo per chiusura \
                  dell'azienda, chiede di conoscere i requisiti per l'indennità di \
                  disoccupazione. Distinti saluti";
    assert_eq!(classify_json(letter)["style"], "detailed");
}

#[test]
fn abstains_below_the_threshold_and_says_so() {
    let output = sportello()
        .args(["classify", "--threshold", "1", "quando pagano la naspi"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("operatore"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(
        &sportello()
            .args([
                "classify",
                "--json",
                "--threshold",
                "1",
                "quando pagano la naspi",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(json["abstained"], true);
    assert_eq!(json["service"], "naspi", "the top service is still named");
}

#[test]
fn requests_without_known_words_go_to_an_operator_or_out_of_scope() {
    let json = classify_json("😀😀🎉");
    assert_eq!(json["abstained"], true, "nothing readable: {json}");
    for text in ["zzzxq wqqqk", "asdfgh jkl"] {
        let json = classify_json(text);
        assert!(
            json["abstained"] == true || json["service"] == "fuori_ambito",
            "{text}: {json}"
        );
    }
}

/// A batch writes each catalogue answer serialised in advance; its lines are the bytes that
/// `classify --json` prints for the same request, in every register and answer language.
#[test]
fn batch_lines_are_the_single_requests_answers() {
    let requests = [
        "Mi hanno licenziato a marzo, mi spetta la disoccupazione?",
        "Quali sono i requisiti per la pensione anticipata e quali documenti servono per la domanda?",
        "ho perso il lavoro e ho due figli piccoli, posso avere anche l'assegno unico?",
        "I lost my job in Milan last month, can I get unemployment money?",
        "devo rinnovare la carta d'identità",
        "Ich bin in Kurzarbeit, wann zahlt INPS die Lohnausgleichskasse?",
    ];
    for options in [
        &[][..],
        &["--style", "detailed"][..],
        &["--style", "simple", "--language", "fr"][..],
        &["--language", "de", "--top-k", "1"][..],
    ] {
        let input: String = requests
            .iter()
            .map(|text| format!("{}\n", serde_json::json!({ "text": text })))
            .collect();
        let batch = sportello()
            .args(["classify", "--json", "--batch", "-"])
            .args(options)
            .write_stdin(input)
            .output()
            .unwrap();
        succeeded(&batch);
        let batch = String::from_utf8(batch.stdout).unwrap();
        let lines: Vec<&str> = batch.lines().collect();
        assert_eq!(lines.len(), requests.len());
        for (text, line) in requests.iter().zip(lines) {
            let mut args = vec!["--json"];
            args.extend_from_slice(options);
            args.push(text);
            assert_eq!(
                classify_stdout(&args).trim_end(),
                line,
                "{options:?} {text}"
            );
        }
    }
}

#[test]
fn batch_keeps_order_and_copies_other_fields() {
    let input = concat!(
        "{\"id\":\"a\",\"text\":\"quando arriva la pensione di luglio?\",\"canale\":\"web\"}\n",
        "{\"id\":\"b\",\"text\":\"come rinnovo la carta di identita?\"}\n",
        "\n",
        "{\"id\":\"c\",\"text\":\"cassa integrazione non pagata\"}\n",
    );
    let output = sportello()
        .args(["classify", "--batch", "-", "--json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(output.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(rows[0]["canale"], "web");
    assert_eq!(rows[0]["service"], "pensione");
    assert_eq!(rows[1]["service"], "fuori_ambito");
    assert_eq!(rows[2]["service"], "cassa_integrazione");
    assert!(
        rows.iter().all(|r| r.get("text").is_none()),
        "requests are not echoed"
    );
}

/// Over several chunks (read, processed and written at the same time): one answer per line,
/// in order, and bad lines reported with their numbers wherever they fall.
#[test]
fn batch_of_many_chunks_keeps_order_and_line_numbers() {
    let texts = [
        "quando arriva la pensione di luglio?",
        "ho perso il lavoro e vorrei la disoccupazione",
        "come rinnovo la carta di identita?",
    ];
    // chunks are 512 non-blank lines, and every hundredth line is blank: the first two chunks
    // end at lines 517 and 1034
    let bad_lines = [517, 518, 1034, 1035, 1299];
    let mut input = String::new();
    for n in 1..=1300usize {
        if bad_lines.contains(&n) {
            input.push_str("not json\n");
        } else if n % 100 == 0 {
            input.push_str("   \n"); // blank: no output line
        } else {
            let text = texts[n % texts.len()];
            input.push_str(&format!("{{\"n\":{n},\"text\":\"{text}\"}}\n"));
        }
    }
    let output = sportello()
        .args(["classify", "--batch", "-", "--json"])
        .write_stdin(input)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = clear_error(&output);
    for n in bad_lines {
        assert!(
            stderr.contains(&format!("line {n}: not JSON")),
            "{n}: {stderr}"
        );
    }
    assert!(stderr.contains("5 line(s)"), "{stderr}");
    let rows: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected: Vec<usize> = (1..=1300).filter(|n| n % 100 != 0).collect();
    assert_eq!(rows.len(), expected.len());
    for (row, &n) in rows.iter().zip(&expected) {
        if bad_lines.contains(&n) {
            assert_eq!(row["line"], n);
        } else {
            assert_eq!(row["n"], n);
            let service = ["pensione", "naspi", "fuori_ambito"][n % texts.len()];
            assert_eq!(row["service"], service, "line {n}");
        }
    }
}

/// When standard output closes, the batch ends at once, even while its input stays open with
/// no more lines to read.
#[test]
fn batch_stops_when_its_output_closes_while_input_is_still_open() {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .current_dir(root())
        .args(["classify", "--batch", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // more than a chunk, so that answers are written while more input is awaited
    for n in 0..600 {
        writeln!(
            stdin,
            "{{\"n\":{n},\"text\":\"quando arriva la pensione?\"}}"
        )
        .unwrap();
    }
    stdin.flush().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("\"n\":0"), "{first}");
    drop(stdout);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(stdin);
    let status = status.expect("the batch still ran a minute after its output closed");
    assert!(status.success(), "a closed output is no error: {status:?}");
}

#[test]
fn batch_reports_bad_lines_and_classifies_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"id\":1,\"text\":\"quando arriva la pensione\"}\n");
    input.extend_from_slice(b"not json\n");
    input.extend_from_slice(b"{\"id\":3}\n");
    input.extend_from_slice(b"{\"id\":4,\"text\":\"\\u0000\\u0000  \"}\n");
    input.extend_from_slice(b"{\"id\":5,\"text\":\"ciao \xff\"}\n");
    input.extend_from_slice(b"{\"id\":6,\"text\":\"ho perso il lavoro\"}\n");
    std::fs::write(&file, input).unwrap();
    let output = sportello()
        .args(["classify", "--batch"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = clear_error(&output);
    for expected in [
        "line 2: not JSON",
        "line 3: missing \"text\"",
        "line 5: not valid UTF-8",
        "4 line(s)",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let rows: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6, "one output line per input line");
    assert_eq!(rows[0]["service"], "pensione");
    assert_eq!(rows[1]["line"], 2);
    assert!(rows[1]["error"].is_string());
    assert_eq!(rows[2]["id"], 3, "fields of a bad line are still copied");
    assert_eq!(rows[5]["service"], "naspi");
}

#[test]
fn missing_or_damaged_models_are_clear_errors() {
    let output = sportello()
        .args(["classify", "--model", "/nonexistent/dir", "ciao"])
        .output()
        .unwrap();
    clear_error(&output);

    let dir = tempfile::tempdir().unwrap();
    type Damage = fn(&mut Vec<u8>);
    let damage: [(&str, Damage); 4] = [
        ("model.json", |b| b.truncate(b.len() / 2)),
        ("model.json", |b| {
            let i = b.len() / 3;
            b[i] = if b[i] == b'1' { b'2' } else { b'1' };
        }),
        ("tokenizer.json", |b| b.clear()),
        ("manifest.json", |b| *b = b"{\"format\":\"other\"}".to_vec()),
    ];
    for (file, change) in damage {
        let copy = dir.path().join("m");
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir(&copy).unwrap();
        for name in ["manifest.json", "model.json", "tokenizer.json"] {
            std::fs::copy(root().join("models").join(name), copy.join(name)).unwrap();
        }
        let mut bytes = std::fs::read(copy.join(file)).unwrap();
        change(&mut bytes);
        std::fs::write(copy.join(file), bytes).unwrap();
        let output = sportello()
            .args(["classify", "--model"])
            .arg(&copy)
            .arg("ciao")
            .output()
            .unwrap();
        let stderr = clear_error(&output);
        assert!(stderr.contains("invalid model"), "{file}: {stderr}");
    }
}

#[test]
fn bad_requests_and_options_are_clear_errors() {
    clear_error(&sportello().args(["classify", "   "]).output().unwrap());
    clear_error(
        &sportello()
            .arg("classify")
            .write_stdin(&b"pensione \xff\xfe"[..])
            .output()
            .unwrap(),
    );
    clear_error(
        &sportello()
            .args(["classify", "--top-k", "0", "ciao"])
            .output()
            .unwrap(),
    );
    clear_error(
        &sportello()
            .args(["classify", "--threshold", "7", "ciao"])
            .output()
            .unwrap(),
    );
    clear_error(
        &sportello()
            .args(["classify", "--batch", "/nonexistent.jsonl"])
            .output()
            .unwrap(),
    );
}

#[test]
fn very_long_requests_are_truncated_not_refused() {
    let long = "ho perso il lavoro e vorrei la disoccupazione. ".repeat(2000);
    let json = classify_json(&long);
    assert_eq!(json["truncated"], true);
    assert_eq!(json["service"], "naspi");
}

#[test]
fn a_catalogue_with_other_services_is_refused() {
    let output = sportello()
        .args(["classify", "--catalog"])
        .arg(fixture("mini_services.toml"))
        .arg("quando arriva la pensione")
        .output()
        .unwrap();
    let stderr = clear_error(&output);
    assert!(stderr.contains("trained on"), "{stderr}");
}

#[test]
fn answers_in_the_request_language_when_the_catalogue_is_translated() {
    let catalog = sportello::Catalog::load(&root().join("data/services.toml")).unwrap();
    let german = &catalog.translations[&sportello::Language::De];
    let english = &catalog.translations[&sportello::Language::En];
    let french = &catalog.translations[&sportello::Language::Fr];

    let json = classify_json(
        "Mir wurde gekündigt, die Firma hat zugesperrt. Ab wann kann ich den Antrag stellen?",
    );
    assert_eq!(languages(&json), ("de", "de"));
    assert_eq!(json["service"], "naspi");
    assert_eq!(json["answer"]["text"], german["naspi"].simple.as_str());
    assert_eq!(json["name"], german["naspi"].name.as_str());

    let json = classify_json("I lost my job last week, the company closed. What can I apply for?");
    assert_eq!(json["language"], "en");
    assert_eq!(json["answer"]["text"], english["naspi"].simple.as_str());

    let json = classify_json(
        "Bonjour, j'ai perdu mon travail le mois dernier, est-ce que je peux avoir une aide pour le chômage?",
    );
    assert_eq!(languages(&json), ("fr", "fr"));
    assert_eq!(
        json["answer"]["text"],
        french[json["service"].as_str().unwrap()].simple.as_str()
    );

    let json = classify_json("Mi hanno licenziato, posso chiedere la disoccupazione?");
    assert_eq!(languages(&json), ("it", "it"));
}

#[test]
fn the_answer_language_can_be_chosen() {
    let json = classify_stdout(&[
        "--language",
        "it",
        "--json",
        "I lost my job last week, what can I apply for?",
    ]);
    assert_eq!(printed_languages(&json), ("en".into(), "it".into()));

    let text = classify_stdout(&["--language", "de", "quando arriva la pensione di luglio?"]);
    assert!(text.contains("Empfohlene Leistung: "), "{text}");
    assert!(text.contains("Was tun:"), "{text}");
    assert!(text.contains("Offizielle Seite: https://"), "{text}");

    let output = sportello()
        .args(["classify", "--language", "xx", "ciao"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'xx'") && stderr.contains("de, en"),
        "{stderr}"
    );
}

#[test]
fn terminal_words_follow_the_answer_language() {
    let text = classify_stdout(&["My company closed and I lost my job, what can I get?"]);
    assert!(text.contains("Recommended service: "), "{text}");
    assert!(text.contains("What to do:"), "{text}");

    // an operator's case, told in German
    let text = classify_stdout(&[
        "--threshold",
        "1",
        "Ich habe eine Frage zu meinem Antrag, wie lange dauert das?",
    ]);
    assert!(
        text.starts_with("Anfrage an eine Sachbearbeiterin"),
        "{text}"
    );
    assert!(text.contains("Mögliche Leistungen:"), "{text}");

    // a language the catalogue lacks (a copy of it without its translations): Italian answers,
    // and a note on standard error
    let dir = tempfile::tempdir().unwrap();
    let italian_only = dir.path().join("services.toml");
    std::fs::copy(root().join("data/services.toml"), &italian_only).unwrap();
    let output = sportello()
        .args(["classify", "--language", "pt", "--catalog"])
        .arg(&italian_only)
        .arg("quando arriva la pensione di luglio?")
        .output()
        .unwrap();
    succeeded(&output);
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("Servizio consigliato: ")
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no pt translation"), "{stderr}");
}

#[test]
fn batch_lines_carry_their_languages() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": 1, \"text\": \"Ich habe meine Arbeit verloren, was kann ich beantragen?\"}\n\
         {\"id\": 2, \"text\": \"mi hanno licenziato, cosa posso chiedere?\"}\n",
    )
    .unwrap();
    let output = sportello()
        .args(["classify", "--json", "--batch"])
        .arg(&input)
        .output()
        .unwrap();
    succeeded(&output);
    let lines: Vec<serde_json::Value> = output
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(
        (lines[0]["id"].as_i64(), lines[0]["language"].as_str()),
        (Some(1), Some("de"))
    );
    assert_eq!(
        (lines[1]["id"].as_i64(), lines[1]["language"].as_str()),
        (Some(2), Some("it"))
    );
}

#[test]
fn a_catalogue_without_translations_answers_in_italian() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("services.toml");
    std::fs::copy(root().join("data/services.toml"), &catalog).unwrap();
    let json = classify_stdout(&[
        "--json",
        "--catalog",
        catalog.to_str().unwrap(),
        "Ich habe meine Arbeit verloren, was kann ich beantragen?",
    ]);
    assert_eq!(printed_languages(&json), ("de".into(), "it".into()));
}
