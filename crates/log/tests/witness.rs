//! Witness decision logic (C2SP tlog-witness add-checkpoint) and cosignatures.

use canvass_log::cosign::{ALG_COSIGNATURE_V1, cosigned_message};
use canvass_log::witness::{AddCheckpoint, Witness};
use canvass_log::{
    Checkpoint, CosignatureVerifier, Cosigner, LogSigner, MemoryTree, WitnessPolicy,
};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "canvass.example/test-log";

fn signed(tree: &MemoryTree, size: u64, signer: &LogSigner) -> Vec<u8> {
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: tree.root_at(size),
        extensions: vec![],
    };
    signer.sign_checkpoint(&cp).expect("sign").into_bytes()
}

fn setup() -> (LogSigner, Cosigner, Witness, MemoryTree) {
    let log = LogSigner::from_seed(ORIGIN, [1; 32]).expect("log key");
    let cos = Cosigner::from_seed("witness.example/w1", [2; 32]).expect("cosigner");
    let w = Witness::new(cos.clone(), vec![log.verifier()]);
    let tree = MemoryTree::from_entries((0..10u8).map(|i| vec![i]));
    (log, cos, w, tree)
}

#[test]
fn cosigns_consistent_checkpoints_and_refuses_forks_with_evidence() {
    let (log, cos, mut w, tree) = setup();
    // First checkpoint: old size 0, empty proof.
    let req = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        note: signed(&tree, 3, &log),
    };
    let ok = w
        .evaluate(
            &AddCheckpoint::parse(&req.to_body()).expect("parse"),
            1_700_000_000,
        )
        .expect("cosign");
    w.accept(&ok);
    assert!(ok.cosignature.starts_with("\u{2014} witness.example/w1 "));
    // The cosignature verifies when appended to the checkpoint.
    let mut cosigned = req.note.clone();
    cosigned.extend_from_slice(ok.cosignature.as_bytes());
    assert_eq!(
        cos.verifier().cosigned_at(&cosigned),
        Ok(Some(1_700_000_000))
    );

    // Stale old size: 409 with the latest size.
    let stale = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        note: signed(&tree, 7, &log),
    };
    let r = w.evaluate(&stale, 1_700_000_001).expect_err("409");
    assert_eq!((r.status, r.latest_size), (409, Some(3)));

    // Consistent growth 3 -> 7.
    let grow = AddCheckpoint {
        old_size: 3,
        proof: tree.consistency_proof(3, 7).expect("proof"),
        note: signed(&tree, 7, &log),
    };
    let ok = w.evaluate(&grow, 1_700_000_002).expect("cosign 7");
    w.accept(&ok);
    assert_eq!(w.latest(ORIGIN).map(|l| l.checkpoint.size), Some(7));

    // A fork: another tree of size 9 whose first 7 entries differ.
    let forked = MemoryTree::from_entries((0..9u8).map(|i| vec![i ^ 0x80]));
    let fork = AddCheckpoint {
        old_size: 7,
        proof: forked.consistency_proof(7, 9).expect("proof"),
        note: signed(&forked, 9, &log),
    };
    let r = w.evaluate(&fork, 1_700_000_003).expect_err("fork refused");
    assert_eq!(r.status, 422);
    let ev = r.evidence.expect("evidence kept");
    assert_eq!(ev.previous_note, grow.note);
    assert_eq!(ev.request, fork.to_body());
    // Same size, different root: also refused with evidence.
    let same = AddCheckpoint {
        old_size: 7,
        proof: vec![],
        note: signed(&forked, 7, &log),
    };
    let r = w
        .evaluate(&same, 1_700_000_004)
        .expect_err("split view refused");
    assert!(r.status == 422 && r.evidence.is_some());
    // State unchanged by refusals.
    assert_eq!(w.latest(ORIGIN).map(|l| l.checkpoint.size), Some(7));
}

#[test]
fn refuses_unknown_logs_bad_signatures_and_bad_requests() {
    let (log, _cos, w, tree) = setup();
    let other = LogSigner::from_seed("other.example/log", [3; 32]).expect("key");
    let cp = Checkpoint {
        origin: "other.example/log".into(),
        size: 1,
        root: tree.root_at(1),
        extensions: vec![],
    };
    let req = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        note: other.sign_checkpoint(&cp).expect("sign").into_bytes(),
    };
    assert_eq!(w.evaluate(&req, 1).map_err(|r| r.status), Err(404));

    // Right origin, wrong key.
    let impostor = LogSigner::from_seed(ORIGIN, [9; 32]).expect("key");
    let req = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        note: signed(&tree, 2, &impostor),
    };
    assert_eq!(w.evaluate(&req, 1).map_err(|r| r.status), Err(403));

    // Old size above checkpoint size.
    let req = AddCheckpoint {
        old_size: 5,
        proof: vec![],
        note: signed(&tree, 2, &log),
    };
    assert_eq!(w.evaluate(&req, 1).map_err(|r| r.status), Err(400));
    // Non-empty proof from old size 0.
    let req = AddCheckpoint {
        old_size: 0,
        proof: vec![tree.root()],
        note: signed(&tree, 2, &log),
    };
    assert_eq!(w.evaluate(&req, 1).map_err(|r| r.status), Err(422));
    // Malformed bodies.
    assert_eq!(
        AddCheckpoint::parse(b"old 01\n\nx").map_err(|r| r.status),
        Err(400)
    );
    assert_eq!(
        AddCheckpoint::parse(b"old 1\nnot-a-hash\n\nx").map_err(|r| r.status),
        Err(400)
    );
}

#[test]
fn cosignature_key_id_and_message_follow_the_spec() {
    let cos = Cosigner::from_seed("witness.example/w1", [2; 32]).expect("cosigner");
    let vkey = cos.verifier().to_vkey();
    // Key id = SHA-256(name || "\n" || 0x04 || public key)[:4], computed here independently.
    let public = ed25519_dalek::SigningKey::from_bytes(&[2; 32]).verifying_key();
    let mut h = Sha256::new();
    h.update(b"witness.example/w1\n");
    h.update([ALG_COSIGNATURE_V1]);
    h.update(public.as_bytes());
    let id = h.finalize();
    assert_eq!(
        vkey.split('+').nth(1),
        Some(format!("{:02x}{:02x}{:02x}{:02x}", id[0], id[1], id[2], id[3]).as_str())
    );
    assert_eq!(CosignatureVerifier::from_vkey(&vkey), Ok(cos.verifier()));
    let skey = cos.to_skey();
    assert_eq!(
        Cosigner::from_skey(&skey).map(|c| c.to_skey()),
        Ok(skey.clone())
    );
    assert!(
        Cosigner::from_skey(&skey.replace("PRIVATE+KEY+witness", "PRIVATE+KEY+wetness")).is_err()
    );
    // The signed message, as in the spec's example layout.
    assert_eq!(
        cosigned_message(1679315147, b"o\n1\nr\n"),
        b"cosignature/v1\ntime 1679315147\no\n1\nr\n".to_vec()
    );
}

#[test]
fn k_of_n_policy() {
    let (log, _c, _w, tree) = setup();
    let ws: Vec<Cosigner> = (0..3u8)
        .map(|i| Cosigner::from_seed(&format!("w{i}.example"), [10 + i; 32]).expect("key"))
        .collect();
    let policy = WitnessPolicy {
        witnesses: ws.iter().map(Cosigner::verifier).collect(),
        threshold: 2,
    };
    let note = signed(&tree, 4, &log);
    let text_len = note.len()
        - (note.len()
            - note
                .windows(2)
                .rposition(|w| w == b"\n\n")
                .expect("blank line")
            - 1);
    let text = &note[..text_len];
    let mut one = note.clone();
    one.extend_from_slice(ws[0].cosign(text, 5).expect("cosign").as_bytes());
    let err = policy.check(&one).expect_err("1 of 3 is not enough");
    assert_eq!((err.valid, err.threshold), (1, 2));
    let mut two = one.clone();
    two.extend_from_slice(ws[2].cosign(text, 6).expect("cosign").as_bytes());
    assert_eq!(
        policy.check(&two),
        Ok(vec!["w0.example".to_owned(), "w2.example".to_owned()])
    );
    // A cosignature over a different checkpoint does not count (and is reported invalid).
    let other = signed(&tree, 5, &log);
    let other_text = &other[..other.windows(2).rposition(|w| w == b"\n\n").expect("blank") + 1];
    let mut forged = one.clone();
    forged.extend_from_slice(ws[1].cosign(other_text, 7).expect("cosign").as_bytes());
    let err = policy.check(&forged).expect_err("forged cosignature");
    assert_eq!(err.invalid, vec!["w1.example".to_owned()]);
}
