#![allow(clippy::unwrap_used)]

use crate::*;
use chrono::{DateTime, Duration, TimeZone, Utc};

const AUTHOR: &str = "1.2.392.1.1";
const OTHER: &str = "1.2.392.1.2";
const THIRD: &str = "1.2.392.1.3";
const RX: &str = "57833-6^^2.16.840.1.113883.6.1";
const REFERRAL: &str = "57133-1^^2.16.840.1.113883.6.1";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

fn grant(facility: &str, scope: Scope) -> Grant {
    Grant {
        id: format!("g-{facility}-{}", scope.as_str()),
        facility: facility.into(),
        scope,
        given_at: now() - Duration::days(1),
        expires_at: None,
        withdrawn_at: None,
    }
}

fn policy(model: Model) -> ConsentPolicy {
    let mut p = ConsentPolicy {
        model,
        ..ConsentPolicy::default()
    };
    p.kind_classes
        .insert("pharmacy".into(), [RX.to_string()].into_iter().collect());
    p
}

fn conf(code: &str) -> Vec<String> {
    vec![format!("{code}^^{HL7_CONFIDENTIALITY}")]
}

struct Case {
    name: &'static str,
    model: Model,
    grants: Vec<Grant>,
    emergencies: Vec<EmergencyAccess>,
    requester: &'static str,
    kind: &'static str,
    confidentiality: &'static str,
    class: &'static str,
    expect: Result<&'static str, DenyReason>,
}

fn case(name: &'static str) -> Case {
    Case {
        name,
        model: Model::AllParticipants,
        grants: Vec::new(),
        emergencies: Vec::new(),
        requester: OTHER,
        kind: "hospital",
        confidentiality: "N",
        class: REFERRAL,
        expect: Err(DenyReason::NoConsent),
    }
}

fn emergency(facility: &str, hours_left: i64) -> EmergencyAccess {
    EmergencyAccess {
        id: format!("e-{facility}"),
        facility: facility.into(),
        opened_at: now() - Duration::hours(1),
        expires_at: now() + Duration::hours(hours_left),
    }
}

#[test]
fn every_rule_decides_as_specified() {
    use DenyReason::*;
    use Model::*;
    let expired = Grant {
        expires_at: Some(now() - Duration::minutes(1)),
        ..grant(OTHER, Scope::Normal)
    };
    let not_yet_expired = Grant {
        expires_at: Some(now() + Duration::days(3)),
        ..grant(OTHER, Scope::Normal)
    };
    let withdrawn = Grant {
        withdrawn_at: Some(now()),
        ..grant(OTHER, Scope::Normal)
    };
    let cases = vec![
        Case {
            requester: AUTHOR,
            expect: Ok("author"),
            ..case("the author sees its document without any consent")
        },
        Case {
            requester: AUTHOR,
            confidentiality: "V",
            expect: Ok("author"),
            ..case("the author sees its secret document")
        },
        case("no consent, nothing"),
        Case {
            grants: vec![grant("*", Scope::Normal)],
            expect: Ok("consent:g-*-normal"),
            ..case("all-participants: a * grant opens every facility")
        },
        Case {
            model: PerVisitedFacility,
            grants: vec![grant("*", Scope::Normal)],
            ..case("per-visited: a stray * grant opens nobody")
        },
        Case {
            model: PerVisitedFacility,
            grants: vec![grant(OTHER, Scope::Normal)],
            expect: Ok("consent:g-1.2.392.1.2-normal"),
            ..case("per-visited: the visited facility is in the circle")
        },
        Case {
            model: PerVisitedFacility,
            grants: vec![grant(THIRD, Scope::Normal)],
            ..case("per-visited: another facility's visit does not open this one")
        },
        Case {
            model: DesignatedList,
            grants: vec![grant(OTHER, Scope::Normal)],
            expect: Ok("consent:g-1.2.392.1.2-normal"),
            ..case("designated: a designated facility sees")
        },
        Case {
            model: DesignatedList,
            grants: vec![grant(THIRD, Scope::Normal)],
            ..case("designated: an undesignated facility does not")
        },
        Case {
            grants: vec![expired],
            expect: Err(ConsentExpired),
            ..case("time-limited consent expires")
        },
        Case {
            grants: vec![not_yet_expired],
            expect: Ok("consent:g-1.2.392.1.2-normal"),
            ..case("time-limited consent holds until it expires")
        },
        Case {
            grants: vec![withdrawn],
            expect: Err(ConsentWithdrawn),
            ..case("withdrawal is effective at once")
        },
        Case {
            grants: vec![grant(OTHER, Scope::Normal)],
            confidentiality: "R",
            expect: Err(Restricted),
            ..case("restricted needs a restricted grant")
        },
        Case {
            grants: vec![grant(OTHER, Scope::Restricted)],
            confidentiality: "R",
            expect: Ok("consent:g-1.2.392.1.2-restricted"),
            ..case("a restricted grant opens restricted documents")
        },
        Case {
            grants: vec![grant(OTHER, Scope::Restricted)],
            expect: Ok("consent:g-1.2.392.1.2-restricted"),
            ..case("a restricted grant opens normal documents too")
        },
        Case {
            grants: vec![grant(OTHER, Scope::Restricted)],
            confidentiality: "V",
            expect: Err(Secret),
            ..case("secret is author only, whatever the grant")
        },
        Case {
            grants: vec![grant("*", Scope::Normal)],
            kind: "pharmacy",
            expect: Err(ClassNotAllowed),
            ..case("a pharmacy does not see a referral letter")
        },
        Case {
            grants: vec![grant("*", Scope::Normal)],
            kind: "pharmacy",
            class: RX,
            expect: Ok("consent:g-*-normal"),
            ..case("a pharmacy sees a prescription")
        },
        Case {
            grants: vec![grant("*", Scope::Normal)],
            kind: "pharmacy",
            class: "",
            expect: Ok("consent:g-*-normal"),
            ..case("class limits do not hide submission sets and folders")
        },
        Case {
            emergencies: vec![emergency(OTHER, 2)],
            expect: Ok("emergency:e-1.2.392.1.2"),
            ..case("emergency access opens a patient without consent")
        },
        Case {
            emergencies: vec![emergency(OTHER, 2)],
            confidentiality: "R",
            expect: Ok("emergency:e-1.2.392.1.2"),
            ..case("emergency access opens restricted documents")
        },
        Case {
            emergencies: vec![emergency(OTHER, 2)],
            confidentiality: "V",
            expect: Err(Secret),
            ..case("emergency access never opens secret documents")
        },
        Case {
            emergencies: vec![emergency(OTHER, -1)],
            ..case("expired emergency access opens nothing")
        },
        Case {
            emergencies: vec![emergency(THIRD, 2)],
            ..case("another facility's emergency access opens nothing here")
        },
    ];
    for c in cases {
        let p = policy(c.model);
        let state = ConsentState {
            grants: c.grants,
            emergencies: c.emergencies,
        };
        let requester = Requester {
            facility_oid: c.requester.into(),
            kind: Some(c.kind.into()),
        };
        let confidentiality = conf(c.confidentiality);
        let doc = DocumentFacts {
            author_facility: AUTHOR,
            confidentiality: &confidentiality,
            class_code: (!c.class.is_empty()).then_some(c.class),
        };
        let got = match decide(&p, &state, &requester, &doc, now()) {
            ConsentDecision::Permit(b) => Ok(b.describe()),
            ConsentDecision::Deny(r) => Err(r),
        };
        let want = c.expect.map(str::to_string);
        assert_eq!(got, want, "{}", c.name);
    }
}

#[test]
fn grant_activity_boundaries() {
    let mut g = grant(OTHER, Scope::Normal);
    g.given_at = now();
    assert!(g.is_active(now()), "effective from the moment it is given");
    assert!(!g.is_active(now() - Duration::seconds(1)));
    g.expires_at = Some(now() + Duration::days(1));
    assert!(g.is_active(now() + Duration::hours(23)));
    assert!(
        !g.is_active(now() + Duration::days(1)),
        "expiry is exclusive"
    );
}

#[test]
fn policy_file_parses_and_is_checked() {
    let p: ConsentPolicy = toml::from_str(
        r#"
        model = "per-visited-facility"
        emergency_hours = 12
        emergency_facilities = ["1.2.392.1.9"]
        [kind_classes]
        pharmacy = ["57833-6^^2.16.840.1.113883.6.1"]
        [bppc_policies."1.2.392.9.1"]
        action = "grant-author"
        [bppc_policies."1.2.392.9.2"]
        action = "grant-facilities"
        facilities = ["1.2.392.1.2"]
        scope = "restricted"
        [bppc_policies."1.2.392.9.0"]
        action = "withdraw"
        "#,
    )
    .unwrap();
    p.validate().unwrap();
    assert_eq!(p.model, Model::PerVisitedFacility);
    assert!(p.has_emergency_capability("1.2.392.1.9"));
    assert!(!p.has_emergency_capability(OTHER));
    assert!(p.restricted_codes.contains("R^^2.16.840.1.113883.5.25"));
    assert!(p.grant_refusal("*").is_some());
    assert!(p.grant_refusal(OTHER).is_none());

    for bad in [
        "model = \"everyone\"",
        "emergency_hours = 0",
        "emergency_hours = 1000",
        "restricted_codes = [\"R\"]",
        "secret_codes = [\"R^^2.16.840.1.113883.5.25\"]",
        "[bppc_policies.x]\naction = \"grant-facilities\"\nfacilities = []",
        "model = \"designated-list\"\n[bppc_policies.x]\naction = \"grant-all\"",
        "[bppc_policies.x]\naction = \"shrug\"",
        "colour = \"blue\"",
    ] {
        let parsed: Result<ConsentPolicy, _> = toml::from_str(bad);
        assert!(
            parsed.map(|p| p.validate().is_err()).unwrap_or(true),
            "accepted: {bad}"
        );
    }
}

#[test]
fn bppc_codes_map_to_grants_or_withdrawal() {
    let mut p = ConsentPolicy::default();
    p.bppc_policies.insert(
        "all".into(),
        BppcAction::GrantAll {
            scope: Scope::Normal,
        },
    );
    p.bppc_policies.insert(
        "here".into(),
        BppcAction::GrantAuthor {
            scope: Scope::Restricted,
        },
    );
    p.bppc_policies.insert(
        "list".into(),
        BppcAction::GrantFacilities {
            facilities: vec![OTHER.into(), THIRD.into()],
            scope: Scope::Normal,
        },
    );
    p.bppc_policies.insert("out".into(), BppcAction::Withdraw);

    let e = effect_of(&p, &["all", "here"], AUTHOR).unwrap();
    assert_eq!(
        e.grants,
        vec![
            ("*".to_string(), Scope::Normal),
            (AUTHOR.to_string(), Scope::Restricted)
        ]
    );
    assert!(!e.withdraw_all);
    let e = effect_of(&p, &["list"], AUTHOR).unwrap();
    assert_eq!(e.grants.len(), 2);
    let e = effect_of(&p, &["out", "all"], AUTHOR).unwrap();
    assert!(e.withdraw_all && e.grants.is_empty());
    let err = effect_of(&p, &["all", "nope"], AUTHOR).unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
}
