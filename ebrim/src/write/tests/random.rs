//! write -> parse gives back the model, for generated models full of
//! characters that need escaping.

use crate::model::{
    AdhocQueryRequest, Association, Classification, DocumentContent, DocumentRequest,
    ExternalIdentifier, ExtrinsicObject, InternationalString, LocalizedString, ObjectCore,
    ObjectRef, ProvideAndRegisterRequest, ProvidedDocument, RegistryObject, RegistryPackage,
    RemoveObjectsRequest, RetrieveDocumentSetRequest, ReturnType, Slot, SubmitObjectsRequest,
};
use crate::parse::tests::malicious::Rng;
use crate::parse::{self, Limits};
use crate::write;

const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    " ",
    "  ",
    "&",
    "<",
    ">",
    "\"",
    "'",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "é",
    "日本",
    "\u{10348}",
    "]]>",
    "&amp;",
    "urn:uuid:",
    "^^^&",
    "%",
    "=",
    "\u{FFFD}",
];

struct Gen(Rng);

impl Gen {
    fn string(&mut self) -> String {
        let n = self.0.below(6);
        (0..n).map(|_| PIECES[self.0.below(PIECES.len())]).collect()
    }
    /// anyURI-typed values and trimmed text fields lose outer whitespace.
    fn token(&mut self) -> String {
        self.string()
            .trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
            .to_owned()
    }
    fn maybe<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        (self.0.below(2) == 0).then(|| f(self))
    }
    fn many<T>(&mut self, max: usize, mut f: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let n = self.0.below(max + 1);
        (0..n).map(|_| f(self)).collect()
    }
    fn slot(&mut self) -> Slot {
        Slot {
            name: self.string(),
            slot_type: self.maybe(Gen::token),
            values: self.many(3, Gen::string),
        }
    }
    fn international(&mut self) -> InternationalString {
        InternationalString {
            values: self.many(2, |g| LocalizedString {
                lang: g.maybe(Gen::string),
                charset: g.maybe(Gen::string),
                value: g.string(),
            }),
        }
    }
    fn classification(&mut self) -> Classification {
        Classification {
            id: self.token(),
            classification_scheme: self.maybe(Gen::token),
            classification_node: self.maybe(Gen::token),
            classified_object: self.token(),
            node_representation: self.maybe(Gen::string),
            object_type: self.maybe(Gen::token),
            name: self.maybe(Gen::international),
            description: self.maybe(Gen::international),
            slots: self.many(2, Gen::slot),
        }
    }
    fn external_identifier(&mut self) -> ExternalIdentifier {
        ExternalIdentifier {
            id: self.token(),
            registry_object: self.token(),
            identification_scheme: self.token(),
            value: self.string(),
            object_type: self.maybe(Gen::token),
            name: self.maybe(Gen::international),
            description: self.maybe(Gen::international),
            slots: self.many(2, Gen::slot),
        }
    }
    fn core(&mut self) -> ObjectCore {
        ObjectCore {
            id: self.token(),
            lid: self.maybe(Gen::token),
            object_type: self.maybe(Gen::token),
            status: self.maybe(Gen::token),
            home: self.maybe(Gen::token),
            version_name: self.maybe(Gen::string),
            name: self.maybe(Gen::international),
            description: self.maybe(Gen::international),
            slots: self.many(3, Gen::slot),
            classifications: self.many(3, Gen::classification),
            external_identifiers: self.many(2, Gen::external_identifier),
        }
    }
    fn object(&mut self) -> RegistryObject {
        match self.0.below(5) {
            0 => RegistryObject::ExtrinsicObject(ExtrinsicObject {
                core: self.core(),
                mime_type: self.maybe(Gen::string),
                is_opaque: self.maybe(|g| g.0.below(2) == 0),
            }),
            1 => RegistryObject::RegistryPackage(RegistryPackage { core: self.core() }),
            2 => RegistryObject::Association(Association {
                core: self.core(),
                association_type: self.token(),
                source_object: self.token(),
                target_object: self.token(),
            }),
            3 => RegistryObject::Classification(self.classification()),
            _ => RegistryObject::ObjectRef(ObjectRef {
                id: self.token(),
                home: self.maybe(Gen::token),
            }),
        }
    }
    fn bytes(&mut self) -> Vec<u8> {
        let n = self.0.below(64);
        (0..n).map(|_| self.0.next() as u8).collect()
    }
    fn content_id(&mut self) -> String {
        let cid = self.string();
        if cid.is_empty() { "x".to_owned() } else { cid }
    }
}

#[test]
fn generated_models_round_trip() {
    let mut g = Gen(Rng::new(7));
    let limits = Limits::default();
    for _ in 0..300 {
        let submission = SubmitObjectsRequest {
            objects: g.many(4, Gen::object),
        };
        let xml = write::submit_objects_request(&submission);
        assert_eq!(
            parse::submit_objects_request(xml.as_bytes(), &limits).as_ref(),
            Ok(&submission),
            "{xml}"
        );

        let pnr = ProvideAndRegisterRequest {
            submission,
            documents: g.many(3, |g| ProvidedDocument {
                id: g.token(),
                content: if g.0.below(2) == 0 {
                    DocumentContent::Inline(g.bytes())
                } else {
                    DocumentContent::XopInclude(g.content_id())
                },
            }),
        };
        let xml = write::provide_and_register_request(&pnr);
        assert_eq!(
            parse::provide_and_register_request(xml.as_bytes(), &limits).as_ref(),
            Ok(&pnr),
            "{xml}"
        );

        let query = AdhocQueryRequest {
            return_type: if g.0.below(2) == 0 {
                ReturnType::LeafClass
            } else {
                ReturnType::ObjectRef
            },
            return_composed_objects: g.0.below(2) == 0,
            query_id: g.token(),
            home: g.maybe(Gen::token),
            parameters: g.many(4, Gen::slot),
        };
        let xml = write::adhoc_query_request(&query);
        assert_eq!(
            parse::adhoc_query_request(xml.as_bytes(), &limits).as_ref(),
            Ok(&query),
            "{xml}"
        );

        let mut retrieve = RetrieveDocumentSetRequest {
            requests: g.many(3, |g| DocumentRequest {
                home_community_id: g.maybe(Gen::token),
                repository_unique_id: g.token(),
                document_unique_id: g.token(),
            }),
        };
        if retrieve.requests.is_empty() {
            retrieve.requests.push(DocumentRequest {
                home_community_id: None,
                repository_unique_id: "1".into(),
                document_unique_id: "2".into(),
            });
        }
        let xml = write::retrieve_document_set_request(&retrieve);
        assert_eq!(
            parse::retrieve_document_set_request(xml.as_bytes(), &limits).as_ref(),
            Ok(&retrieve),
            "{xml}"
        );
        let xml = write::remove_documents_request(&retrieve);
        assert_eq!(
            parse::remove_documents_request(xml.as_bytes(), &limits).as_ref(),
            Ok(&retrieve),
            "{xml}"
        );

        let remove = RemoveObjectsRequest {
            object_ids: g.many(3, Gen::token),
        };
        let xml = write::remove_objects_request(&remove);
        assert_eq!(
            parse::remove_objects_request(xml.as_bytes(), &limits).as_ref(),
            Ok(&remove),
            "{xml}"
        );
    }
}

#[test]
fn characters_xml_cannot_carry_are_replaced() {
    let slot = Slot {
        name: "a\u{1}b".into(),
        slot_type: None,
        values: vec!["x\u{0}y\u{FFFF}".into()],
    };
    let mut out = String::new();
    write::slot(&mut out, &slot);
    assert_eq!(
        out,
        "<rim:Slot name=\"a\u{FFFD}b\"><rim:ValueList><rim:Value>x\u{FFFD}y\u{FFFD}</rim:Value></rim:ValueList></rim:Slot>"
    );
}
