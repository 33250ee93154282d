//! Names, dates of birth, phones and postcodes are sealed, and search finds people through a
//! keyed blind index: one-letter variants, accents and other names, on both backends. The
//! database itself names nobody.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

async fn search(t: &TestApp, w: &World, key: &str, q: &str) -> (Vec<String>, Vec<String>, u64) {
    let token = t.token_for(w.org, w.staff[key].0).await;
    let url = format!(
        "/api/v1/search?q={}",
        q.replace('+', "%2B")
            .replace(' ', "%20")
            .replace('/', "%2F")
    );
    let r = t.api_get(&token, &url).await;
    assert_eq!(r.status(), StatusCode::OK);
    let total: u64 = r.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let rows = v.as_array().unwrap();
    (
        rows.iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect(),
        rows.iter()
            .map(|f| f["matched_on"].as_str().unwrap().to_string())
            .collect(),
        total,
    )
}

async fn edit_victim(t: &TestApp, w: &World, based_on: &str, family: &str, aliases: &str) {
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let edit = format!("/people/{}/edit", w.victim);
    let r = t
        .submit(
            &idva,
            &edit,
            &edit,
            &[
                ("based_on", based_on),
                ("given_name", "Zoë"),
                ("family_name", family),
                ("aliases", aliases),
                ("date_of_birth", "01/04/1990"),
                ("gender", "woman"),
                ("language", "English"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn one_letter_variants_accents_and_other_names_are_found_by_the_index() {
    let t = spawn_app().await;
    let w = t.world().await;
    for (q, why) in [
        ("Zoë Quillfeather", "her name"),
        ("Zoë Quilfeather", "a letter missing"),
        ("Zoë Quillfeathers", "a letter too many"),
        ("Zoë Quillfeathor", "a letter changed"),
        ("Zoe Quillfeather", "without the accent"),
        ("ZOË quill", "capitals, and the start of a surname"),
    ] {
        let (names, _, _) = search(&t, &w, "idva", q).await;
        assert_eq!(names, ["Zoë Quillfeather"], "{why}: {q}");
    }
    let (names, _, _) = search(&t, &w, "idva", "Zoë Quillfxxther").await;
    assert!(names.is_empty(), "two letters out is not a match");

    // Other names: she is found by the name she used to use, and by a one-letter variant of it.
    edit_victim(&t, &w, "1", "Quillfeather", "Zoe Sorrelby").await;
    for q in ["Sorrelby", "Zoe Sorelby"] {
        let (names, how, _) = search(&t, &w, "idva", q).await;
        assert_eq!(names, ["Zoë Quillfeather"], "{q}");
        assert_eq!(how, ["other name"], "{q}");
    }
    // Behind the firewall a match on another name does not count.
    let (names, _, _) = search(&t, &w, "engage", "Sorrelby").await;
    assert!(
        names.is_empty(),
        "the Engage practitioner learns nothing from her other name"
    );

    // A change of name is indexed at once: the old name no longer finds her, the new one does.
    edit_victim(&t, &w, "2", "Marsh", "").await;
    let (names, _, _) = search(&t, &w, "idva", "Quillfeather").await;
    assert!(
        !names.contains(&"Zoë Quillfeather".to_string()),
        "{names:?}"
    );
    let (names, _, _) = search(&t, &w, "idva", "Zoe Marsh").await;
    assert_eq!(names, ["Zoë Marsh"]);
    let (names, _, _) = search(&t, &w, "idva", "Sorrelby").await;
    assert!(
        names.is_empty(),
        "an other name removed is gone from the index"
    );
}

#[tokio::test]
async fn a_new_phone_number_replaces_the_old_one_in_the_index() {
    let t = spawn_app().await;
    let w = t.world().await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let page = format!("/people/{}/contact", w.victim);
    for (based_on, phone, postcode) in [
        ("0", "07700 900982", "ns1 2ab"),
        ("1", "07700 900111", "NS9 9ZZ"),
    ] {
        let r = t
            .submit(
                &idva,
                &page,
                &page,
                &[
                    ("based_on", based_on),
                    ("phone", phone),
                    ("phone_safety", "safe"),
                    ("postcode", postcode),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
    }
    let (names, how, _) = search(&t, &w, "idva", "+44 7700 900111").await;
    assert_eq!(
        (names, how),
        (
            vec!["Zoë Quillfeather".to_string()],
            vec!["phone number".to_string()]
        )
    );
    let (names, how, _) = search(&t, &w, "idva", "ns99zz").await;
    assert_eq!(
        (names, how),
        (
            vec!["Zoë Quillfeather".to_string()],
            vec!["postcode".to_string()]
        )
    );
    for old in ["07700 900982", "NS1 2AB"] {
        let (names, _, _) = search(&t, &w, "idva", old).await;
        assert!(names.is_empty(), "{old} is no longer hers");
    }
}

#[tokio::test]
async fn results_come_a_page_at_a_time_and_say_how_many_in_all() {
    use hearth_domain::access::CaseRole;
    let t = spawn_app().await;
    let w = t.world().await;
    t.families((w.org, w.idva_team), 60, |n| {
        let victim = (
            "Ann".into(),
            "Brackenthwaite".into(),
            CaseRole::VictimSurvivor,
        );
        (format!("PG-{n:04}"), vec![victim])
    })
    .await;
    let (first, _, total) = search(&t, &w, "service_manager", "Brackenthwaite").await;
    assert_eq!((first.len(), total), (50, 60));
    let token = t.token_for(w.org, w.staff["service_manager"].0).await;
    let r = t
        .api_get(&token, "/api/v1/search?q=Brackenthwaite&page=2")
        .await;
    let second: Value = r.json().await.unwrap();
    assert_eq!(second.as_array().unwrap().len(), 10);

    let manager = t.signed_in(&w.staff["service_manager"].1).await;
    let html = manager
        .get(t.url("/search?q=Brackenthwaite"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("60 found, showing 1 to 50"), "{html}");
    assert!(html.contains("Page 1 of 2"));
    assert!(html.contains("page=2"));
}

#[tokio::test]
async fn the_database_file_holds_no_name_other_name_date_of_birth_phone_or_postcode() {
    let t = spawn_app().await;
    let w = t.world().await;
    let Some(path) = t.sqlite_file.clone() else {
        // The file scan is SQLite's: PostgreSQL's files are the server's.
        return;
    };
    edit_victim(&t, &w, "1", "Quillfeather", "Zoe Sorrelby").await;
    let idva = t.signed_in(&w.staff["idva"].1).await;
    let page = format!("/people/{}/contact", w.victim);
    let r = t
        .submit(
            &idva,
            &page,
            &page,
            &[
                ("based_on", "0"),
                ("phone", "07700 900982"),
                ("phone_safety", "safe"),
                ("postcode", "NS1 2AB"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The search works (so the data is there), and the file holds none of it in plain text.
    let (names, _, _) = search(&t, &w, "idva", "Sorrelby").await;
    assert_eq!(names, ["Zoë Quillfeather"]);
    let mut raw = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
        raw.extend(wal);
    }
    let lower = raw.to_ascii_lowercase();
    for plain in [
        "quillfeather",
        "sorrelby",
        "zoë",
        "darren",
        "alfie",
        "1990-04-01",
        "2017-09-30",
        "07700 900982",
        "07700900982",
        "ns1 2ab",
        "ns12ab",
    ] {
        let plain = plain.as_bytes();
        assert!(
            !lower.windows(plain.len()).any(|win| win == plain),
            "{:?} is in the database file",
            String::from_utf8_lossy(plain)
        );
    }
    assert!(
        raw.windows(7).any(|win| win == b"NS-0001"),
        "the scan reads the data"
    );
}

/// The generator writes through the store's own paths: what it makes is audited, verifies, and
/// leaves no generated person's name, other name, date of birth, phone or postcode in the file.
#[tokio::test]
async fn generated_people_are_sealed_indexed_and_audited() {
    use hearth_domain::access::Action;
    use hearth_domain::contact::ContactDetails;
    let t = spawn_app().await;
    let scale = hearth_app::generate::Scale {
        organisations: 2,
        cases: 12,
        entries_per_case: 4,
        seed: 7,
    };
    let made = hearth_app::generate::generate(&t.app, &scale, |_| {})
        .await
        .unwrap();
    assert_eq!((made.organisations, made.cases), (2, 12));
    assert!(made.people >= 12 && made.entries >= 12, "{made:?}");
    // Risk and MARAC history too: every victim assessed at least once, meetings a fortnight
    // apart, and the high-risk victims referred with actions agreed.
    assert!(made.assessments >= 12, "{made:?}");
    assert!(made.marac_meetings >= 2 * 70, "{made:?}");
    assert!(
        made.marac_referrals >= 1 && made.marac_actions >= made.marac_referrals / 2,
        "{made:?}"
    );
    let mut conn = t.app.store.conn().await.unwrap();
    assert!(matches!(
        hearth_store::audit::verify(&mut conn, t.app.store.audit_key())
            .await
            .unwrap(),
        hearth_store::audit::Verification::Intact { .. }
    ));
    let manager = hearth_store::users::by_email(&mut conn, &made.service_manager_email)
        .await
        .unwrap()
        .unwrap()
        .actor();
    drop(conn);

    // One generated victim, as her service manager sees her.
    let mut w = t.app.store.view(t.now()).await.unwrap();
    let cases =
        hearth_store::cases::visible(&mut w, &manager, hearth_domain::paging::Page::first(12))
            .await
            .unwrap()
            .cases;
    let g = w
        .case(
            &manager,
            hearth_domain::ids::CaseId::from_uuid(cases[0].id),
            Action::ViewCaseRecord,
        )
        .await
        .unwrap();
    let record = hearth_store::cases::record(&mut w, &g).await.unwrap();
    let victim = &record.members[0];
    // A generated victim known by another name too: one in four is.
    let mut other_name = None;
    for case in &cases {
        let g = w
            .case(
                &manager,
                hearth_domain::ids::CaseId::from_uuid(case.id),
                Action::ViewCaseRecord,
            )
            .await
            .unwrap();
        let record = hearth_store::cases::record(&mut w, &g).await.unwrap();
        let person = record.members[0].person_id;
        let stored = hearth_store::people::get(&mut w, &g, person)
            .await
            .unwrap()
            .unwrap();
        if let Some(alias) = stored.aliases.first() {
            other_name = Some((person, alias.clone()));
            break;
        }
    }
    let (known_as, other_name) = other_name.expect("a victim with another name");
    let versions = hearth_store::contact::versions(&mut w, &g, victim.person_id)
        .await
        .unwrap();
    use hearth_store::access::Guard;
    let details: ContactDetails =
        serde_json::from_str(&g.open(&versions[0].sealed).unwrap().shown().unwrap()).unwrap();
    w.rollback().await.unwrap();

    // Her risk history reads through the use cases, as her service manager sees it.
    let risk: Value = t
        .api_get(
            &token_of(&t, &made.service_manager_email).await,
            &format!("/api/v1/people/{}/risk", victim.person_id),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !risk["assessments"].as_array().unwrap().is_empty(),
        "{risk}"
    );

    // Found by a one-letter variant of her surname, by her phone and by her postcode.
    let token = token_of(&t, &made.service_manager_email).await;
    let mut variant: Vec<char> = victim.family_name.chars().collect();
    variant.remove(2);
    let variant: String = variant.into_iter().collect();
    for (q, who) in [
        (format!("{} {variant}", victim.given_name), victim.person_id),
        (details.phone.clone(), victim.person_id),
        (details.postcode.clone(), victim.person_id),
        (other_name.clone(), known_as),
    ] {
        let url = format!("/api/v1/search?q={}", q.replace(' ', "%20"));
        let found: Value = t.api_get(&token, &url).await.json().await.unwrap();
        assert!(
            found
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["person_id"] == who.to_string()),
            "{q}: {found}"
        );
    }

    let Some(path) = &t.sqlite_file else {
        return;
    };
    let mut raw = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
        raw.extend(wal);
    }
    let full = format!("{} {}", victim.given_name, victim.family_name);
    let digits: String = details
        .phone
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let other_surname = other_name.rsplit(' ').next().unwrap();
    for plain in [
        victim.family_name.as_str(),
        full.as_str(),
        other_name.as_str(),
        other_surname,
        victim.date_of_birth.as_deref().unwrap(),
        details.phone.as_str(),
        digits.as_str(),
        details.postcode.as_str(),
    ] {
        assert!(
            !raw.windows(plain.len()).any(|win| win == plain.as_bytes()),
            "{plain:?} is in the database file"
        );
    }
}

/// An API token for a generated account.
async fn token_of(t: &TestApp, email: &str) -> String {
    let mut conn = t.app.store.conn().await.unwrap();
    let u = hearth_store::users::by_email(&mut conn, email)
        .await
        .unwrap()
        .unwrap();
    t.token_for(u.org_id, u.id).await
}

/// A search opens the people it shows and no one else: not the others in the cases it finds,
/// not those found in cases the user may not open, not those on later pages. Every identity it
/// should not open is made unreadable here, so opening one fails the search.
#[tokio::test]
async fn a_search_opens_only_the_people_it_shows() {
    use hearth_domain::access::CaseRole;
    let t = spawn_app().await;
    let w = t.world().await;
    // (victim, child), in order of reference.
    let families: Vec<(Uuid, Uuid)> = t
        .families((w.org, w.idva_team), 60, |n| {
            let victim = (
                "Ann".into(),
                "Brackenthwaite".into(),
                CaseRole::VictimSurvivor,
            );
            let child = (
                "Kit".into(),
                "Fernwhistle".into(),
                CaseRole::ChildOrYoungPerson,
            );
            (format!("OP-{n:04}"), vec![victim, child])
        })
        .await
        .into_iter()
        .map(|(_, people)| (people[0], people[1]))
        .collect();

    // A name search shows the closest first, then by person: the first page is the fifty
    // victims with the lowest identifiers.
    let mut victims: Vec<Uuid> = families.iter().map(|f| f.0).collect();
    victims.sort();
    let children: Vec<Uuid> = families.iter().map(|f| f.1).collect();
    let later_page = &victims[50..];
    let kept = unreadable(&t, children.iter().chain(later_page)).await;
    let (names, _, total) = search(&t, &w, "service_manager", "Brackenthwaite").await;
    assert_eq!((names.len(), total), (50, 60));
    assert!(names.iter().all(|n| n == "Ann Brackenthwaite"));
    // The Idva may open none of these cases: nobody in them is opened, and none is shown.
    let (names, _, total) = search(&t, &w, "idva", "Brackenthwaite").await;
    assert_eq!((names.len(), total), (0, 0));
    restore(&t, kept).await;

    // A search by reference shows each case under its victim/survivor, fifty cases a page.
    let on_later_page: Vec<Uuid> = families[50..].iter().map(|f| f.0).collect();
    unreadable(&t, children.iter().chain(&on_later_page)).await;
    let (names, matched, total) = search(&t, &w, "service_manager", "OP-0").await;
    assert_eq!((names.len(), total), (50, 60));
    assert!(matched.iter().all(|m| m == "case reference"));
    let (names, _, total) = search(&t, &w, "idva", "OP-0").await;
    assert_eq!((names.len(), total), (0, 0));
}

/// Overwrite these people's sealed identities with bytes no key opens, and give back what was
/// there so it can be put back.
async fn unreadable<'a>(
    t: &TestApp,
    people: impl Iterator<Item = &'a Uuid>,
) -> Vec<(Uuid, Vec<u8>)> {
    let mut tx = t.app.store.begin().await.unwrap();
    let mut kept = Vec::new();
    for p in people {
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT identity FROM people WHERE id = $1")
            .bind(p.to_string())
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE people SET identity = $1 WHERE id = $2")
            .bind(vec![7u8; sealed.len()])
            .bind(p.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        kept.push((*p, sealed));
    }
    tx.commit().await.unwrap();
    kept
}

async fn restore(t: &TestApp, kept: Vec<(Uuid, Vec<u8>)>) {
    let mut tx = t.app.store.begin().await.unwrap();
    for (p, sealed) in kept {
        sqlx::query("UPDATE people SET identity = $1 WHERE id = $2")
            .bind(sealed)
            .bind(p.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}
