//! What each transaction sends: request bodies built before the clock
//! starts, and the check that a reply is a success.

use crate::client::{HubClient, SoapReply, envelope, mtom_package};
use crate::fixtures;
use crate::generator::corpus::{CorpusShape, GeneratedSubmission, Region, patient_id};
use crate::generator::rng::Rng;
use anyhow::{Context, Result, bail};
use serde::Serialize;

pub const ITI41: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
pub const ITI42: &str = "urn:ihe:iti:2007:RegisterDocumentSet-b";
pub const ITI18: &str = "urn:ihe:iti:2007:RegistryStoredQuery";
pub const ITI43: &str = "urn:ihe:iti:2007:RetrieveDocumentSet";
const SUCCESS: &[u8] = b"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
const GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";
/// Where bench/nginx_reference.sh puts the document bytes.
pub const STATIC_DOCUMENT_PATH: &str = "/document.bin";
/// The status is in the envelope, which comes first: look no further.
const STATUS_WINDOW: usize = 64 * 1024;

/// The transactions the load tool drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum Transaction {
    /// ITI-41 Provide and Register, `--docs-per-request` documents of `--doc-bytes` per request (MTOM).
    Iti41,
    /// ITI-42 Register Document Set-b, `--docs-per-request` DocumentEntries per request.
    Iti42,
    /// ITI-18 FindDocuments (LeafClass) for one patient.
    Find,
    /// ITI-18 GetDocuments (LeafClass) for one entryUUID.
    Get,
    /// ITI-43 Retrieve Document Set, one document per request.
    Iti43,
    /// A plain HTTPS GET of `--static-path` (of `--doc-bytes`): the
    /// reference for ITI-43, against a web server serving the same bytes
    /// over mutual TLS (bench/nginx_reference.sh).
    StaticGet,
}

/// Which hub, which corpus.
#[derive(Clone)]
pub struct Target {
    pub client: HubClient,
    pub region: Region,
    pub patient_prefix: String,
    /// Patients `0..patients` are registered (and hold the corpus, for queries).
    pub patients: u64,
    pub seed: u64,
    /// The OID of the facility the client certificate names: submissions speak for it.
    pub facility_oid: String,
}

/// One request ready to send.
pub struct Prepared {
    pub path: &'static str,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Bytes of documents carried (sent or expected back).
    pub document_bytes: u64,
    /// A shorter successful reply is an error (ITI-43: the document must come back).
    pub min_reply_bytes: u64,
    /// GET `path` instead of POSTing `body` (StaticGet only).
    pub get: bool,
}

/// Per-run state: what the preparation step found.
pub struct Workload {
    pub transaction: Transaction,
    target: Target,
    doc_bytes: usize,
    /// DocumentEntries in each ITI-41 / ITI-42 submission.
    docs_per_request: u32,
    /// entryUUIDs (Get) or document uniqueIds (Iti43).
    ids: Vec<String>,
    /// One document's bytes, shared by all ITI-41 requests.
    content: Vec<u8>,
    /// StaticGet: the path of the reference server's file.
    static_path: &'static str,
}

impl Workload {
    /// Prepares the run: for Get, finds entryUUIDs; for Iti43, submits
    /// `prepare` documents of `doc_bytes` through ITI-41 first.
    pub async fn prepare(
        transaction: Transaction,
        target: Target,
        doc_bytes: usize,
        prepare: u64,
    ) -> Result<Workload> {
        let mut w = Workload {
            transaction,
            target,
            doc_bytes,
            docs_per_request: 1,
            ids: Vec::new(),
            content: Vec::new(),
            static_path: STATIC_DOCUMENT_PATH,
        };
        if matches!(transaction, Transaction::Iti41 | Transaction::Iti43) {
            w.content = crate::generator::corpus::letter_bytes(doc_bytes, "renkei-load");
        }
        match transaction {
            Transaction::Get => w.ids = w.find_entry_uuids(prepare).await?,
            // A FindDocuments benchmark must measure answers that carry
            // entries, not reads the consent decision emptied.
            Transaction::Find => {
                w.find_entry_uuids(prepare).await?;
            }
            Transaction::Iti43 => w.ids = w.submit_for_retrieval(prepare).await?,
            _ => {}
        }
        Ok(w)
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// ITI-41 and ITI-42 submit `n` DocumentEntries per request (at least
    /// one); the other transactions ignore it.
    pub fn with_docs_per_request(mut self, n: u32) -> Workload {
        self.docs_per_request = n.max(1);
        self
    }

    /// DocumentEntries each successful request registers (0: it reads).
    pub fn entries_per_request(&self) -> u32 {
        match self.transaction {
            Transaction::Iti41 | Transaction::Iti42 => self.docs_per_request,
            _ => 0,
        }
    }

    fn patient(&self, i: u64) -> String {
        let mut rng = Rng::for_item(self.target.seed ^ 0x10AD, i);
        patient_id(
            &self.target.region,
            &self.target.patient_prefix,
            rng.below(self.target.patients.max(1)),
        )
    }

    /// The submission of request `i` (`docs_per_request` documents), with
    /// fresh uniqueIds.
    fn submission(&self, i: u64, registry_fields: bool) -> Result<GeneratedSubmission> {
        let shape = CorpusShape {
            seed: self.target.seed ^ 0x5EED ^ i,
            patient_prefix: self.target.patient_prefix.clone(),
            docs_per_patient: self.docs_per_request,
            docs_per_submission: self.docs_per_request,
            // ITI-41 bodies get the shared content later; only ITI-42 records a size.
            doc_bytes: if registry_fields { self.doc_bytes } else { 0 },
            submitting_facility: Some(self.target.facility_oid.clone()),
            consent_for: None,
        };
        let mut rng = Rng::for_item(self.target.seed ^ 0x10AD, i);
        let p = rng.below(self.target.patients.max(1));
        shape
            .submission(&self.target.region, p, 0, registry_fields)
            .context("no submission generated")
    }

    /// Request number `i`.
    pub fn request(&self, i: u64) -> Result<Prepared> {
        Ok(match self.transaction {
            Transaction::Iti41 => {
                let g = self.submission(i, false)?;
                let (xml, mut attachments) = g.provide_and_register_xml();
                // One shared document body, copied once into the package.
                for a in &mut attachments {
                    a.2 = self.content.clone();
                }
                let document_bytes = (attachments.len() * self.content.len()) as u64;
                let (content_type, body) =
                    mtom_package(ITI41, &envelope(ITI41, &xml), &attachments);
                Prepared {
                    path: "/xds/repository",
                    content_type,
                    body,
                    document_bytes,
                    min_reply_bytes: 0,
                    get: false,
                }
            }
            Transaction::Iti42 => {
                let g = self.submission(i, true)?;
                let xml = g.submit_objects_xml(Some(&g.facility_xon()));
                soap(ITI42, "/xds/registry", &xml, 0)
            }
            Transaction::Find => soap(
                ITI18,
                "/xds/registry",
                &fixtures::find_documents(&self.patient(i), "LeafClass"),
                0,
            ),
            Transaction::Get => {
                let id = self.pick(i)?;
                let value = format!("('{id}')");
                soap(
                    ITI18,
                    "/xds/registry",
                    &fixtures::stored_query(
                        GET_DOCUMENTS,
                        "LeafClass",
                        &[("$XDSDocumentEntryEntryUUID", &value)],
                    ),
                    0,
                )
            }
            Transaction::StaticGet => Prepared {
                path: self.static_path,
                content_type: String::new(),
                body: Vec::new(),
                document_bytes: self.doc_bytes as u64,
                min_reply_bytes: self.doc_bytes as u64,
                get: true,
            },
            Transaction::Iti43 => {
                let uid = self.pick(i)?;
                soap(
                    ITI43,
                    "/xds/repository",
                    &fixtures::retrieve(&self.target.region.repository_unique_id, &[uid]),
                    self.doc_bytes as u64,
                )
            }
        })
    }

    fn pick(&self, i: u64) -> Result<&str> {
        let n = self.ids.len() as u64;
        if n == 0 {
            bail!("nothing prepared to ask for");
        }
        let idx = usize::try_from(i % n)?;
        self.ids.get(idx).map(String::as_str).context("prepared id")
    }

    async fn find_entry_uuids(&self, patients: u64) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for i in 0..patients.max(1) {
            let q = fixtures::find_documents(&self.patient(i), "ObjectRef");
            let reply = self.target.client.soap("/xds/registry", ITI18, &q).await?;
            check(&reply, 0)?;
            let text = reply.text();
            ids.extend(
                text.split("<rim:ObjectRef id=\"")
                    .skip(1)
                    .filter_map(|s| s.split('"').next().map(str::to_string)),
            );
        }
        if ids.is_empty() {
            bail!(
                "FindDocuments found no entries for the first {patients} patients: generate a corpus first (and not with --no-consent: reads of documents another facility wrote need the patient's consent)"
            );
        }
        Ok(ids)
    }

    async fn submit_for_retrieval(&self, count: u64) -> Result<Vec<String>> {
        let mut uids = Vec::new();
        for i in 0..count.max(1) {
            let mut g = self.submission(u64::MAX - i, false)?;
            for d in &mut g.submission.documents {
                d.content = self.content.clone();
                uids.push(d.unique_id.clone());
            }
            let (xml, attachments) = g.provide_and_register_xml();
            let reply = self
                .target
                .client
                .mtom("/xds/repository", ITI41, &xml, &attachments)
                .await?;
            check(&reply, 0).context("submitting documents to retrieve")?;
        }
        Ok(uids)
    }
}

fn soap(action: &str, path: &'static str, body_xml: &str, expect: u64) -> Prepared {
    Prepared {
        path,
        content_type: format!("application/soap+xml; charset=UTF-8; action=\"{action}\""),
        body: envelope(action, body_xml).into_bytes(),
        document_bytes: expect,
        min_reply_bytes: expect,
        get: false,
    }
}

/// A reply is a success when HTTP 200, the status is Success and (for
/// retrievals) at least the expected document bytes came back.
pub fn check(reply: &SoapReply, min_bytes: u64) -> Result<()> {
    if reply.status != 200 {
        bail!("HTTP {}: {}", reply.status, snippet(&reply.body));
    }
    if reply.content_type == "application/octet-stream" {
        // A reference web server's file: only its size can be checked.
        if (reply.body.len() as u64) < min_bytes {
            bail!("file of {} bytes, expected {min_bytes}", reply.body.len());
        }
        return Ok(());
    }
    let head = reply
        .body
        .get(..reply.body.len().min(STATUS_WINDOW))
        .unwrap_or_default();
    if !head.windows(SUCCESS.len()).any(|w| w == SUCCESS) {
        bail!("not a success: {}", snippet(&reply.body));
    }
    if (reply.body.len() as u64) < min_bytes {
        bail!(
            "reply of {} bytes, expected at least {min_bytes}",
            reply.body.len()
        );
    }
    Ok(())
}

fn snippet(body: &[u8]) -> String {
    let s =
        String::from_utf8_lossy(body.get(..body.len().min(600)).unwrap_or_default()).into_owned();
    s.replace('\n', " ")
}
