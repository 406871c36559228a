//! The code sets a Japanese regional network's documents carry: document
//! kinds exchanged between hospitals, clinics, pharmacies and care
//! facilities, departments (診療科), facility kinds, diagnoses (ICD-10) and
//! the people who write them. Codes are affinity-domain configuration; these
//! are plausible ones (LOINC where LOINC has the kind, the region's own OID
//! otherwise).

use crate::fixtures::{LOINC, REGION_CODES};

/// ICD-10 as used for eventCodeList.
pub const ICD10: &str = "2.16.840.1.113883.6.3";

/// A coded value `(code, scheme, display)` as static text.
pub type Coded = (&'static str, &'static str, &'static str);

/// A document kind: its classCode, typeCode, usual mime type and title.
#[derive(Debug, Clone, Copy)]
pub struct DocumentKind {
    pub class: Coded,
    pub type_code: Coded,
    pub mime_type: &'static str,
    pub title: &'static str,
    /// Relative frequency in the corpus.
    pub weight: u64,
}

const CLASS_REFERRAL: Coded = ("57133-1", LOINC, "Referral note");
const CLASS_SUMMARY: Coded = ("34133-9", LOINC, "Summary of episode note");
const CLASS_REPORT: Coded = ("11502-2", LOINC, "Laboratory report");
const CLASS_PLAN: Coded = ("18776-5", LOINC, "Plan of care note");

pub const DOCUMENT_KINDS: &[DocumentKind] = &[
    DocumentKind {
        class: CLASS_REFERRAL,
        type_code: ("57133-1", LOINC, "Referral note"),
        mime_type: "application/pdf",
        title: "診療情報提供書",
        weight: 30,
    },
    DocumentKind {
        class: CLASS_REFERRAL,
        type_code: ("11488-4", LOINC, "Consult note"),
        mime_type: "application/pdf",
        title: "返書",
        weight: 12,
    },
    DocumentKind {
        class: CLASS_SUMMARY,
        type_code: ("18842-5", LOINC, "Discharge summary"),
        mime_type: "text/xml",
        title: "退院時サマリー",
        weight: 10,
    },
    DocumentKind {
        class: CLASS_SUMMARY,
        type_code: ("34745-0", LOINC, "Nurse Discharge summary"),
        mime_type: "text/xml",
        title: "看護サマリー",
        weight: 6,
    },
    DocumentKind {
        class: CLASS_REPORT,
        type_code: ("11502-2", LOINC, "Laboratory report"),
        mime_type: "text/xml",
        title: "検体検査結果",
        weight: 18,
    },
    DocumentKind {
        class: CLASS_REPORT,
        type_code: ("18748-4", LOINC, "Diagnostic imaging study"),
        mime_type: "application/pdf",
        title: "画像診断報告書",
        weight: 8,
    },
    DocumentKind {
        class: CLASS_REPORT,
        type_code: ("checkup", REGION_CODES, "特定健診結果"),
        mime_type: "text/xml",
        title: "特定健康診査結果",
        weight: 5,
    },
    DocumentKind {
        class: CLASS_PLAN,
        type_code: ("57833-6", LOINC, "Prescription for medication"),
        mime_type: "text/xml",
        title: "処方情報",
        weight: 7,
    },
    DocumentKind {
        class: CLASS_PLAN,
        type_code: ("care-plan", REGION_CODES, "居宅サービス計画書"),
        mime_type: "application/pdf",
        title: "居宅サービス計画書",
        weight: 4,
    },
];

/// 診療科.
pub const PRACTICE_SETTINGS: &[Coded] = &[
    ("01", REGION_CODES, "内科"),
    ("02", REGION_CODES, "外科"),
    ("03", REGION_CODES, "整形外科"),
    ("04", REGION_CODES, "小児科"),
    ("05", REGION_CODES, "産婦人科"),
    ("06", REGION_CODES, "眼科"),
    ("07", REGION_CODES, "皮膚科"),
    ("08", REGION_CODES, "精神科"),
    ("09", REGION_CODES, "循環器内科"),
    ("10", REGION_CODES, "リハビリテーション科"),
];

/// Facility kinds with the name suffix their facilities get.
pub const FACILITY_KINDS: &[(Coded, &str)] = &[
    (("hospital", REGION_CODES, "病院"), "病院"),
    (("clinic", REGION_CODES, "診療所"), "クリニック"),
    (("pharmacy", REGION_CODES, "薬局"), "薬局"),
    (("care-facility", REGION_CODES, "介護施設"), "ケアセンター"),
    (
        ("home-nursing", REGION_CODES, "訪問看護ステーション"),
        "訪問看護ステーション",
    ),
];

/// Place names the synthetic facilities are named after.
pub const PLACES: &[&str] = &[
    "中央",
    "北",
    "南",
    "東",
    "西",
    "青葉",
    "桜",
    "みなと",
    "緑",
    "さくら",
    "若葉",
    "旭",
    "本町",
    "駅前",
    "山手",
];

/// Diagnoses for eventCodeList.
pub const DIAGNOSES: &[Coded] = &[
    ("I10", ICD10, "本態性高血圧症"),
    ("E11", ICD10, "2型糖尿病"),
    ("J18", ICD10, "肺炎"),
    ("I63", ICD10, "脳梗塞"),
    ("S72", ICD10, "大腿骨骨折"),
    ("C34", ICD10, "肺癌"),
    ("F03", ICD10, "認知症"),
    ("I50", ICD10, "心不全"),
    ("N18", ICD10, "慢性腎臓病"),
];

pub const FAMILY_NAMES: &[&str] = &[
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
];
pub const GIVEN_NAMES: &[&str] = &[
    "太郎", "花子", "健一", "美咲", "翔", "陽子", "大輔", "恵", "直樹", "由美",
];

/// The document kind whose cumulative weight covers `roll` (`0..total_weight()`).
pub fn kind_for(roll: u64) -> &'static DocumentKind {
    let mut acc = 0;
    for k in DOCUMENT_KINDS {
        acc += k.weight;
        if roll < acc {
            return k;
        }
    }
    &DOCUMENT_KINDS[0]
}

pub fn total_weight() -> u64 {
    DOCUMENT_KINDS.iter().map(|k| k.weight).sum()
}
