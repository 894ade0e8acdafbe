//! `ferry prune`: delete the backups a retention policy does not keep.
//!
//! - **Complete** backups go through the [`Policy`] by their datetime: kept with the rules
//!   that keep them, or deleted.
//! - **Incomplete** backups (no `META`) are deleted only with a maximum age, when their id's
//!   timestamp (when the backup was taken) is older than it and no chunked upload into them
//!   began within it (on stores that list pending uploads): an upload still running is not
//!   cut off. Their pending uploads are aborted too. Without a maximum age they stay.
//! - **Damaged** backups are never deleted: what is left of them may be all there is;
//!   `ferry verify` says what is wrong.
//!
//! A backup with an object under a retention lock (S3 Object Lock) is left, with the date
//! the lock ends: on a versioned bucket its DELETEs would only add delete markers, hiding a
//! backup that stays (see `crate::store::Retention`).
//!
//! A backup is deleted `META` first, then everything else the listing showed under its
//! directory, so a prune cut short leaves an incomplete backup (which the next prune with a
//! maximum age removes), never one that looks complete. Only the exact keys listed under
//! `<root>/<id>/` are deleted: a backup whose id extends another's (`x_1` and `x_10`) is
//! another directory, and files another backup got by server-side copy are its own objects.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;

use super::listing::{BackupEntry, BackupState};
use super::pieces;
use super::{Catalog, Policy, REQUESTS_IN_FLIGHT, format_datetime};
use crate::Result;
use crate::store::PendingUpload;

/// What to prune.
#[derive(Debug, Clone)]
pub struct PruneRules {
    pub policy: Policy,
    /// Incomplete backups taken longer ago than this are deleted; `None`: none are.
    pub max_age: Option<Duration>,
    /// The present, for `max_age` and for backups dated in the future.
    pub now: DateTime<Utc>,
    /// Decide and report, delete nothing.
    pub dry_run: bool,
}

/// What prune does with one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "action", content = "because")]
pub enum PruneAction {
    /// Kept by the policy; the rules that keep it.
    Keep(Vec<String>),
    /// Deleted (or, in a dry run, would be); why.
    Delete(String),
    /// Not considered by the policy and not deleted; why.
    Leave(String),
}

/// One backup and what prune does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneDecision {
    pub id: String,
    pub datetime: Option<String>,
    pub state: BackupState,
    #[serde(flatten)]
    pub action: PruneAction,
}

/// What a prune decided and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    pub dry_run: bool,
    /// Every backup of the repository, oldest first.
    pub decisions: Vec<PruneDecision>,
    /// Objects deleted (0 in a dry run).
    pub deleted_objects: u64,
    /// Backups whose deletion failed, with the first error; they are left incomplete.
    pub failed: Vec<(String, String)>,
}

impl PruneReport {
    pub fn deleted(&self) -> impl Iterator<Item = &PruneDecision> {
        self.decisions
            .iter()
            .filter(|d| matches!(d.action, PruneAction::Delete(_)))
    }
}

impl Catalog {
    /// Applies `rules` to the repository.
    pub async fn prune(&self, rules: &PruneRules) -> Result<PruneReport> {
        let listing = self.list().await?;
        let mut actions: Vec<Option<PruneAction>> = vec![None; listing.backups.len()];
        let complete: Vec<(usize, DateTime<Utc>, &str)> = listing
            .backups
            .iter()
            .enumerate()
            .filter(|(_, b)| b.state == BackupState::Complete)
            .filter_map(|(i, b)| Some((i, b.datetime?, b.id.as_str())))
            .collect();
        for verdict in rules.policy.apply(complete, rules.now) {
            actions[verdict.item] = Some(if verdict.keep() {
                PruneAction::Keep(verdict.reasons)
            } else {
                PruneAction::Delete("no rule of the policy keeps it".into())
            });
        }
        let mut pending: Vec<Vec<PendingUpload>> = vec![Vec::new(); listing.backups.len()];
        for (i, backup) in listing.backups.iter().enumerate() {
            if actions[i].is_some() {
                continue;
            }
            actions[i] = Some(match backup.state {
                BackupState::Complete => PruneAction::Leave(
                    "no datetime in META or its id: the policy cannot place it".into(),
                ),
                BackupState::Damaged => PruneAction::Leave(
                    "damaged: never deleted by prune (ferry verify says what is wrong)".into(),
                ),
                BackupState::Incomplete => {
                    let (action, uploads) = self.incomplete(backup, rules).await?;
                    pending[i] = uploads;
                    action
                }
            });
        }
        let mut report = PruneReport {
            dry_run: rules.dry_run,
            ..PruneReport::default()
        };
        for ((backup, action), uploads) in listing.backups.iter().zip(actions).zip(pending) {
            let mut action = action.expect("every backup has an action");
            if let PruneAction::Delete(why) = &action
                && let Some(lock) = self.lock(backup, rules.now).await?
            {
                action = PruneAction::Leave(format!(
                    "{why}, but locked until {} ({} retention): Object Lock keeps it",
                    format_datetime(lock.until),
                    lock.mode
                ));
            }
            if matches!(action, PruneAction::Delete(_)) && !rules.dry_run {
                let (deleted, error) = self.delete(backup, &uploads).await;
                report.deleted_objects += deleted;
                if let Some(e) = error {
                    report.failed.push((backup.id.clone(), e));
                }
            }
            report.decisions.push(PruneDecision {
                id: backup.id.clone(),
                datetime: backup.datetime.map(format_datetime),
                state: backup.state,
                action,
            });
        }
        Ok(report)
    }

    /// Whether an incomplete backup goes, and the pending uploads into it to abort if so.
    async fn incomplete(
        &self,
        backup: &BackupEntry,
        rules: &PruneRules,
    ) -> Result<(PruneAction, Vec<PendingUpload>)> {
        let Some(max_age) = rules.max_age else {
            return Ok((
                PruneAction::Leave("incomplete (--max-age removes old ones)".into()),
                Vec::new(),
            ));
        };
        let Some(taken) = backup.datetime else {
            return Ok((
                PruneAction::Leave("incomplete, and its id carries no time".into()),
                Vec::new(),
            ));
        };
        let limit = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
        let age = rules.now.signed_duration_since(taken);
        if age <= limit {
            return Ok((
                PruneAction::Leave(format!(
                    "incomplete, taken {} ago: not older than --max-age",
                    human(age)
                )),
                Vec::new(),
            ));
        }
        let prefix = format!("{}/", self.repository.key(&backup.id));
        let uploads = self
            .repository
            .backend
            .pending_uploads(&prefix)
            .await?
            .unwrap_or_default();
        if let Some(recent) = uploads
            .iter()
            .filter_map(|u| u.initiated)
            .filter(|t| rules.now.signed_duration_since(*t) <= limit)
            .max()
        {
            return Ok((
                PruneAction::Leave(format!(
                    "incomplete, but an upload into it began {} ago: still running?",
                    human(rules.now.signed_duration_since(recent))
                )),
                Vec::new(),
            ));
        }
        Ok((
            PruneAction::Delete(format!(
                "incomplete, taken {} ago: older than --max-age",
                human(age)
            )),
            uploads,
        ))
    }

    /// Deletes one backup: `META` (and each piece's) first, then its other objects, then its pending uploads.
    /// Returns the objects deleted and the first error.
    async fn delete(
        &self,
        backup: &BackupEntry,
        uploads: &[PendingUpload],
    ) -> (u64, Option<String>) {
        let dir = self.repository.child(&backup.id);
        let backend = &dir.backend;
        let mut deleted = 0;
        // The backup's META and its pieces' first, one after the other: a deletion cut short
        // leaves a backup that lists as incomplete, never one that looks whole.
        let (metas, rest): (Vec<_>, Vec<_>) =
            backup.objects.iter().partition(|o| pieces::is_meta(&o.key));
        for meta in metas {
            if let Err(e) = backend.delete(&dir.key(&meta.key)).await {
                return (deleted, Some(e.to_string()));
            }
            deleted += 1;
        }
        let dir = &dir;
        let mut deletes = futures::stream::iter(rest)
            .map(|o| async move { dir.backend.delete(&dir.key(&o.key)).await })
            .buffer_unordered(REQUESTS_IN_FLIGHT);
        let mut first = None;
        while let Some(outcome) = deletes.next().await {
            match outcome {
                Ok(()) => deleted += 1,
                Err(e) => {
                    first.get_or_insert_with(|| e.to_string());
                }
            }
        }
        for u in uploads {
            if let Err(e) = backend.abort_upload(&u.key, &u.upload).await
                && !e.is_not_found()
            {
                first.get_or_insert_with(|| e.to_string());
            }
        }
        (deleted, first)
    }
}

/// `3d 4h`, `25m`, `40s`: an age for a message.
fn human(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}
