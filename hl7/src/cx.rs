//! HL7 v2 data types the PIX transactions need: HD, CX, XPN, XAD, and the
//! linking demographics of a PID segment.

use crate::v2::{Component, FieldValue, Repetition, STANDARD_DELIMITERS, Segment};

/// HD hierarchic designator: an assigning authority or application/facility.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Hd {
    /// HD-1 namespace id (local name, e.g. `HIMSS2005`).
    pub namespace_id: String,
    /// HD-2 universal id (an OID for `ISO`).
    pub universal_id: String,
    /// HD-3 universal id type (`ISO`).
    pub universal_id_type: String,
}

impl Hd {
    /// An HD with only the OID (`&oid&ISO`).
    pub fn oid(oid: impl Into<String>) -> Self {
        Self {
            namespace_id: String::new(),
            universal_id: oid.into(),
            universal_id_type: "ISO".into(),
        }
    }

    /// HD written as components of a field (MSH-3/4/5/6).
    pub fn from_repetition(rep: &Repetition<'_>) -> Self {
        Self {
            namespace_id: rep.component(1).value().into_owned(),
            universal_id: rep.component(2).value().into_owned(),
            universal_id_type: rep.component(3).value().into_owned(),
        }
    }

    /// HD written as subcomponents of one component (CX-4, CX-6).
    pub fn from_component(component: &Component<'_>) -> Self {
        Self {
            namespace_id: component.subcomponent(1).into_owned(),
            universal_id: component.subcomponent(2).into_owned(),
            universal_id_type: component.subcomponent(3).into_owned(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.namespace_id.is_empty() && self.universal_id.is_empty()
    }

    /// The OID when HD-3 is `ISO` and HD-2 is filled.
    pub fn oid_value(&self) -> Option<&str> {
        (self.universal_id_type.eq_ignore_ascii_case("ISO") && !self.universal_id.is_empty())
            .then_some(self.universal_id.as_str())
    }

    /// As subcomponents (for CX-4).
    pub fn to_subcomponents(&self) -> Vec<String> {
        vec![
            self.namespace_id.clone(),
            self.universal_id.clone(),
            self.universal_id_type.clone(),
        ]
    }

    /// As a field of components (for MSH-3..6).
    pub fn to_field(&self) -> FieldValue {
        FieldValue::components([
            self.namespace_id.as_str(),
            self.universal_id.as_str(),
            self.universal_id_type.as_str(),
        ])
    }
}

/// CX extended composite id with check digit: a patient identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Cx {
    /// CX-1 the identifier value.
    pub id: String,
    /// CX-2 check digit.
    pub check_digit: String,
    /// CX-3 check digit scheme.
    pub check_digit_scheme: String,
    /// CX-4 assigning authority (the patient identifier domain).
    pub assigning_authority: Hd,
    /// CX-5 identifier type code (`PI`, `MR`…).
    pub identifier_type_code: String,
    /// CX-6 assigning facility.
    pub assigning_facility: Hd,
}

impl Cx {
    /// Reads one repetition of a CX field (PID-3, MRG-1, QPD-3…).
    pub fn from_repetition(rep: &Repetition<'_>) -> Self {
        Self {
            id: rep.component(1).value().into_owned(),
            check_digit: rep.component(2).value().into_owned(),
            check_digit_scheme: rep.component(3).value().into_owned(),
            assigning_authority: Hd::from_component(&rep.component(4)),
            identifier_type_code: rep.component(5).value().into_owned(),
            assigning_facility: Hd::from_component(&rep.component(6)),
        }
    }

    /// An identifier in an OID-identified domain (`id^^^&oid&ISO^PI` when
    /// `type_code` is `PI`).
    pub fn new(id: impl Into<String>, authority: Hd, type_code: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            assigning_authority: authority,
            identifier_type_code: type_code.into(),
            ..Self::default()
        }
    }

    /// Parses CX text written with the standard delimiters, e.g.
    /// `ID^^^&1.2.3&ISO` (command lines, configuration, XDS `patientId`).
    pub fn parse_er7(text: &str) -> Self {
        Self::from_repetition(&Repetition::from_er7(text.trim(), &STANDARD_DELIMITERS))
    }

    /// The CX as text with the standard delimiters (trailing empty parts
    /// dropped): `ID^^^&1.2.3&ISO`.
    pub fn to_er7(&self) -> String {
        FieldValue::from_repetitions(vec![self.to_repetition()]).to_er7(&STANDARD_DELIMITERS)
    }

    /// The assigning authority's OID (CX-4.2 when CX-4.3 is `ISO`).
    pub fn authority_oid(&self) -> Option<&str> {
        self.assigning_authority.oid_value()
    }

    /// As one field repetition: components of subcomponents.
    pub fn to_repetition(&self) -> Vec<Vec<String>> {
        vec![
            vec![self.id.clone()],
            vec![self.check_digit.clone()],
            vec![self.check_digit_scheme.clone()],
            self.assigning_authority.to_subcomponents(),
            vec![self.identifier_type_code.clone()],
            self.assigning_facility.to_subcomponents(),
        ]
    }

    /// A repeating field of identifiers (PID-3).
    pub fn list_field(ids: &[Cx]) -> FieldValue {
        FieldValue::from_repetitions(ids.iter().map(Cx::to_repetition).collect())
    }
}

/// XPN person name (PID-5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Xpn {
    /// XPN-1 family name (first subcomponent: surname).
    pub family: String,
    /// XPN-2 given name.
    pub given: String,
    /// XPN-3 second and further given names or initials.
    pub middle: String,
    /// XPN-4 suffix.
    pub suffix: String,
    /// XPN-5 prefix.
    pub prefix: String,
    /// XPN-7 name type code (`L` legal, `A` alias… ; in Japan `I` ideographic
    /// / `P` phonetic via XPN-8 representation code).
    pub name_type_code: String,
    /// XPN-8 name representation code (`I` ideographic, `P` phonetic).
    pub representation_code: String,
}

impl Xpn {
    pub fn from_repetition(rep: &Repetition<'_>) -> Self {
        Self {
            family: rep.component(1).subcomponent(1).into_owned(),
            given: rep.component(2).value().into_owned(),
            middle: rep.component(3).value().into_owned(),
            suffix: rep.component(4).value().into_owned(),
            prefix: rep.component(5).value().into_owned(),
            name_type_code: rep.component(7).value().into_owned(),
            representation_code: rep.component(8).value().into_owned(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.family.is_empty() && self.given.is_empty() && self.middle.is_empty()
    }

    pub fn to_repetition(&self) -> Vec<Vec<String>> {
        [
            self.family.as_str(),
            &self.given,
            &self.middle,
            &self.suffix,
            &self.prefix,
            "",
            &self.name_type_code,
            &self.representation_code,
        ]
        .iter()
        .map(|c| vec![(*c).to_owned()])
        .collect()
    }
}

/// XAD address (PID-11).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Xad {
    /// XAD-1 street address.
    pub street: String,
    /// XAD-2 other designation.
    pub other: String,
    /// XAD-3 city.
    pub city: String,
    /// XAD-4 state or province (都道府県).
    pub state: String,
    /// XAD-5 postal code.
    pub postal_code: String,
    /// XAD-6 country.
    pub country: String,
    /// XAD-7 address type (`H` home…).
    pub address_type: String,
}

impl Xad {
    pub fn from_repetition(rep: &Repetition<'_>) -> Self {
        let c = |n| rep.component(n).subcomponent(1).into_owned();
        Self {
            street: c(1),
            other: c(2),
            city: c(3),
            state: c(4),
            postal_code: c(5),
            country: c(6),
            address_type: c(7),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.street.is_empty()
            && self.other.is_empty()
            && self.city.is_empty()
            && self.state.is_empty()
            && self.postal_code.is_empty()
            && self.country.is_empty()
    }

    pub fn to_repetition(&self) -> Vec<Vec<String>> {
        [
            &self.street,
            &self.other,
            &self.city,
            &self.state,
            &self.postal_code,
            &self.country,
            &self.address_type,
        ]
        .iter()
        .map(|c| vec![(*c).clone()])
        .collect()
    }
}

/// The demographics PIX uses for linking (PID-5, PID-7, PID-8, PID-11).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Demographics {
    /// PID-5, all non-empty repetitions.
    pub names: Vec<Xpn>,
    /// PID-7 first component as sent (`YYYY[MM[DD[...]]]`).
    pub birth_date: String,
    /// PID-8 administrative sex (`M`, `F`, `O`, `U`…).
    pub sex: String,
    /// PID-11, all non-empty repetitions.
    pub addresses: Vec<Xad>,
}

impl Demographics {
    /// Reads PID-5/7/8/11 of a PID segment.
    pub fn from_pid(pid: &Segment<'_>) -> Self {
        let names = pid
            .field(5)
            .map(|f| {
                f.repetitions()
                    .map(|r| Xpn::from_repetition(&r))
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let addresses = pid
            .field(11)
            .map(|f| {
                f.repetitions()
                    .map(|r| Xad::from_repetition(&r))
                    .filter(|a| !a.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Self {
            names,
            birth_date: pid
                .field(7)
                .map(|f| f.component(1).into_owned())
                .unwrap_or_default(),
            sex: pid
                .field(8)
                .map(|f| f.component(1).into_owned())
                .unwrap_or_default(),
            addresses,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.birth_date.is_empty()
            && self.sex.is_empty()
            && self.addresses.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cx_text_round_trips() {
        let cx = Cx::parse_er7("0001^^^&1.2.392.200119.6.102.1&ISO^PI");
        assert_eq!(cx.id, "0001");
        assert_eq!(cx.authority_oid(), Some("1.2.392.200119.6.102.1"));
        assert_eq!(cx.identifier_type_code, "PI");
        assert_eq!(cx.to_er7(), "0001^^^&1.2.392.200119.6.102.1&ISO^PI");
        let local = Cx::new("A&B", Hd::oid("1.2"), "");
        assert_eq!(local.to_er7(), r"A\T\B^^^&1.2&ISO");
        assert_eq!(Cx::parse_er7(&local.to_er7()), local);
        let ns_only = Cx::parse_er7("79471^^^HZLN");
        assert_eq!(ns_only.authority_oid(), None);
        assert_eq!(ns_only.assigning_authority.namespace_id, "HZLN");
    }
}
