//! Access to the `$…` parameters of one AdhocQuery, with the IHE errors
//! for missing, repeated and malformed values.
//!
//! Decisions (ITI TF-2 3.18.4.1.2.3.5 leaves some open):
//! - Several `rim:Value`s in one Slot are one concatenated list.
//! - A single-valued parameter accepts `'x'` or `('x')`; more values, or
//!   the Slot repeated, is `XDSStoredQueryParamNumber`.
//! - A repeated Slot is an AND group only for eventCodeList,
//!   confidentialityCode and Folder codeList; for other multi-valued
//!   parameters the repeats are merged (OR), the lenient reading.
//! - A value that does not decode (unquoted text, bad CX, DTM, UUID or
//!   code) is `XDSRegistryError`: TF-2 defines no code for it, and it is
//!   what IPF answers. The codeContext names the parameter and the value.
//! - Parameters a query does not define are ignored.
//! - An empty list `()` counts as the parameter not given.

use super::value::{Value, parse_value};
use crate::datatypes::{
    AvailabilityStatus, Code, DocumentEntryType, Dtm, EntryUuid, PatientId, shorten,
};
use crate::error::{RegistryError, XdsErrorCode};
use crate::model::Slot;

pub(super) type Result<T> = std::result::Result<T, RegistryError>;

pub(super) fn missing(name: &str) -> RegistryError {
    RegistryError::error(
        XdsErrorCode::StoredQueryMissingParam,
        format!("required parameter {name} is missing"),
    )
    .at(name)
}

fn param_number(name: &str, detail: &str) -> RegistryError {
    RegistryError::error(
        XdsErrorCode::StoredQueryParamNumber,
        format!("{name}: {detail}"),
    )
    .at(name)
}

fn invalid(name: &str, detail: impl std::fmt::Display) -> RegistryError {
    RegistryError::error(XdsErrorCode::RegistryError, format!("{name}: {detail}")).at(name)
}

/// A time range `From <= value < To`; either bound may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub from: Option<Dtm>,
    pub to: Option<Dtm>,
}

pub(super) struct Params<'a> {
    slots: &'a [Slot],
}

impl<'a> Params<'a> {
    pub(super) fn new(slots: &'a [Slot]) -> Self {
        Self { slots }
    }

    fn slots(&self, name: &'a str) -> impl Iterator<Item = &'a Slot> + 'a {
        self.slots.iter().filter(move |s| s.name == name)
    }

    fn decode(name: &str, slot: &Slot) -> Result<Vec<Value>> {
        let mut values = Vec::new();
        for raw in &slot.values {
            let items = parse_value(raw).map_err(|why| {
                invalid(
                    name,
                    format!("value {:?} is not valid: {why}", shorten(raw)),
                )
            })?;
            values.extend(items);
        }
        Ok(values)
    }

    /// Whether the parameter is given with at least one value.
    pub(super) fn present(&self, name: &'a str) -> Result<bool> {
        for slot in self.slots(name) {
            if !Self::decode(name, slot)?.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// All values of a multi-valued parameter (OR), over all its Slots.
    fn list(&self, name: &'a str) -> Result<Vec<Value>> {
        let mut values = Vec::new();
        for slot in self.slots(name) {
            values.extend(Self::decode(name, slot)?);
        }
        Ok(values)
    }

    /// The value of a single-valued parameter.
    fn single(&self, name: &'a str) -> Result<Option<Value>> {
        let mut slots = self.slots(name);
        let Some(slot) = slots.next() else {
            return Ok(None);
        };
        if slots.next().is_some() {
            return Err(param_number(
                name,
                "the parameter is given more than once; it takes one value",
            ));
        }
        let mut values = Self::decode(name, slot)?;
        if values.len() > 1 {
            return Err(param_number(
                name,
                &format!("{} values given; the parameter takes one", values.len()),
            ));
        }
        Ok(values.pop())
    }

    /// One group per Slot (AND), the values of each Slot an OR.
    fn groups(&self, name: &'a str) -> Result<Vec<Vec<Value>>> {
        let mut groups = Vec::new();
        for slot in self.slots(name) {
            let values = Self::decode(name, slot)?;
            if !values.is_empty() {
                groups.push(values);
            }
        }
        Ok(groups)
    }

    // ---- typed accessors ----

    pub(super) fn patient_id(&self, name: &'a str) -> Result<PatientId> {
        let value = self.single(name)?.ok_or_else(|| missing(name))?;
        PatientId::parse(&text(name, value)?).map_err(|e| invalid(name, e))
    }

    pub(super) fn strings(&self, name: &'a str) -> Result<Vec<String>> {
        self.list(name)?
            .into_iter()
            .map(|v| text(name, v))
            .collect()
    }

    pub(super) fn required_strings(&self, name: &'a str) -> Result<Vec<String>> {
        let values = self.strings(name)?;
        if values.is_empty() {
            return Err(missing(name));
        }
        Ok(values)
    }

    pub(super) fn optional_string(&self, name: &'a str) -> Result<Option<String>> {
        self.single(name)?.map(|v| text(name, v)).transpose()
    }

    pub(super) fn codes(&self, name: &'a str) -> Result<Vec<Code>> {
        self.list(name)?
            .into_iter()
            .map(|v| code(name, v))
            .collect()
    }

    /// AND of ORs: `[[a, b], [c]]` is (a OR b) AND c.
    pub(super) fn code_groups(&self, name: &'a str) -> Result<Vec<Vec<Code>>> {
        self.groups(name)?
            .into_iter()
            .map(|group| group.into_iter().map(|v| code(name, v)).collect())
            .collect()
    }

    pub(super) fn time_range(&self, from: &'a str, to: &'a str) -> Result<TimeRange> {
        Ok(TimeRange {
            from: self.dtm(from)?,
            to: self.dtm(to)?,
        })
    }

    fn dtm(&self, name: &'a str) -> Result<Option<Dtm>> {
        // Timestamps are bare numbers; a quoted one is accepted too.
        self.single(name)?
            .map(|v| {
                let (Value::Number(s) | Value::Text(s)) = v;
                Dtm::parse(&s).map_err(|e| invalid(name, e))
            })
            .transpose()
    }

    pub(super) fn uuids(&self, name: &'a str) -> Result<Vec<EntryUuid>> {
        self.list(name)?
            .into_iter()
            .map(|v| EntryUuid::parse(&text(name, v)?).map_err(|e| invalid(name, e)))
            .collect()
    }

    pub(super) fn required_uuids(&self, name: &'a str) -> Result<Vec<EntryUuid>> {
        let uuids = self.uuids(name)?;
        if uuids.is_empty() {
            return Err(missing(name));
        }
        Ok(uuids)
    }

    pub(super) fn uuid(&self, name: &'a str) -> Result<Option<EntryUuid>> {
        self.single(name)?
            .map(|v| EntryUuid::parse(&text(name, v)?).map_err(|e| invalid(name, e)))
            .transpose()
    }

    /// A required status list. Values other than Approved / Deprecated are
    /// ignored (ITI TF-2 3.18.4.1.2.3.6.1); if none is left the parameter
    /// counts as missing.
    pub(super) fn statuses(&self, name: &'a str) -> Result<Vec<AvailabilityStatus>> {
        let mut statuses = Vec::new();
        for value in self.strings(name)? {
            if let Some(status) = AvailabilityStatus::from_urn(&value)
                && !statuses.contains(&status)
            {
                statuses.push(status);
            }
        }
        if statuses.is_empty() {
            return Err(RegistryError::error(
                XdsErrorCode::StoredQueryMissingParam,
                format!(
                    "required parameter {name} is missing or has no known value ({} or {})",
                    AvailabilityStatus::Approved.as_urn(),
                    AvailabilityStatus::Deprecated.as_urn()
                ),
            )
            .at(name));
        }
        Ok(statuses)
    }

    /// `$XDSDocumentEntryType`: unknown values ignored; stable only when
    /// absent or nothing known is left.
    pub(super) fn entry_types(&self, name: &'a str) -> Result<Vec<DocumentEntryType>> {
        let mut types = Vec::new();
        for value in self.strings(name)? {
            if let Some(t) = DocumentEntryType::from_urn(&value)
                && !types.contains(&t)
            {
                types.push(t);
            }
        }
        if types.is_empty() {
            types.push(DocumentEntryType::Stable);
        }
        Ok(types)
    }

    /// Which one of mutually exclusive parameters is given: exactly one must
    /// be (none -> XDSStoredQueryMissingParam, several ->
    /// XDSStoredQueryParamNumber).
    pub(super) fn exactly_one_of(&self, names: &[&'a str]) -> Result<&'a str> {
        let mut given = Vec::new();
        for &name in names {
            if self.present(name)? {
                given.push(name);
            }
        }
        match given.as_slice() {
            [one] => Ok(one),
            [] => Err(RegistryError::error(
                XdsErrorCode::StoredQueryMissingParam,
                format!("one of {} is required", names.join(", ")),
            )
            .at(names.join(" | "))),
            several => Err(RegistryError::error(
                XdsErrorCode::StoredQueryParamNumber,
                format!(
                    "{} are mutually exclusive; give only one",
                    several.join(" and ")
                ),
            )
            .at(several.join(" | "))),
        }
    }
}

fn text(name: &str, value: Value) -> Result<String> {
    match value {
        Value::Text(s) => Ok(s),
        Value::Number(n) => Err(invalid(
            name,
            format!("{n} must be a quoted string ('{n}')"),
        )),
    }
}

fn code(name: &str, value: Value) -> Result<Code> {
    Code::parse(&text(name, value)?).map_err(|e| invalid(name, e))
}
