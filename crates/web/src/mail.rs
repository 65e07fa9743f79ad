//! E-mail notifications, off unless an SMTP server is configured (`--smtp-url`): a consultation
//! that asks a member for input, a vote its representative can cast, and a decision taken. Sent
//! after the change is stored, one message per recipient (nobody sees another's address), and
//! never in the way of the change itself: a failure is logged, with counts only.
//!
//! The transport is plain SMTP to a relay (`smtp://relay.gemeente.nl:25`, optionally with
//! `user:password@`); encryption on the way out is the relay's job. This keeps TLS libraries out
//! of the build; a deployment that must speak TLS to its relay runs a local relay that does.

use crate::AppState;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use samenspel_domain::nl::date_time;
use samenspel_domain::proposal::Phase;
use samenspel_store::proposals::ProposalRow;
use samenspel_store::regions::RegionRow;

/// Where and as whom to send.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// `https://samenspel.regio.nl`, for links in the messages; without it the path alone.
    public_url: Option<String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for an `smtp://[user:password@]host[:port]` URL and a sender address; a clear
    /// Dutch error for either.
    pub fn new(url: &str, from: &str, public_url: Option<String>) -> Result<Mailer, String> {
        let shown = samenspel_store::redact_url(url);
        let parsed = url::Url::parse(url).map_err(|e| format!("SMTP-URL '{shown}' is onleesbaar: {e}"))?;
        if parsed.scheme() != "smtp" {
            return Err(format!(
                "SMTP-URL '{shown}' wordt niet ondersteund; gebruik smtp://HOST:POORT (een relay in het eigen netwerk)"
            ));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("SMTP-URL '{shown}' noemt geen server"))?;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(parsed.port().unwrap_or(25));
        if !parsed.username().is_empty() {
            let decode = |s: &str| percent_decode(s);
            builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                decode(parsed.username()),
                decode(parsed.password().unwrap_or_default()),
            ));
        }
        let from = from.parse::<Mailbox>().map_err(|e| format!("afzender '{from}' is geen e-mailadres: {e}"))?;
        let public_url = public_url.map(|u| u.trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
        Ok(Mailer { transport: builder.build(), from, public_url })
    }

    fn link(&self, path: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{base}{path}"),
            None => path.to_string(),
        }
    }

    /// Sends a respondent their personal questionnaire link; whether it went out.
    pub async fn send_invitation(
        &self,
        address: &str,
        region: &RegionRow,
        round: &samenspel_store::health::RoundRow,
        path: &str,
    ) -> bool {
        let closes = samenspel_domain::nl::date_time(round.closes_at);
        let subject = format!("Vragenlijst {}: {}", region.name, round.title);
        let body = format!(
            "Goedendag,\n\nDe samenwerking {} vraagt uw oordeel in de meetronde '{}'. Invullen kan tot \
             {closes}.\n\nUw persoonlijke link (werkt tot u verstuurt; niet doorsturen):\n{}\n\n\
             Uw antwoorden worden opgeslagen zonder deze link en zonder uw naam; de regio ziet pas na sluiting \
             cijfers, en alleen van groepen van minstens vijf mensen.\n",
            region.name,
            round.title,
            self.link(path)
        );
        self.send_each(&[(address.to_string(), String::new())], &subject, &body).await == 0
    }

    /// Sends one message to each address; returns how many failed.
    async fn send_each(&self, to: &[(String, String)], subject: &str, body: &str) -> usize {
        let mut failed = 0;
        for (address, name) in to {
            let Ok(mailbox) = format!("{name} <{address}>").parse::<Mailbox>().or_else(|_| address.parse()) else {
                failed += 1;
                continue;
            };
            let message = Message::builder()
                .from(self.from.clone())
                .to(mailbox)
                .subject(subject)
                .header(ContentType::TEXT_PLAIN)
                .body(body.to_string());
            let sent = match message {
                Ok(m) => self.transport.send(m).await.is_ok(),
                Err(_) => false,
            };
            if !sent {
                failed += 1;
            }
        }
        failed
    }
}

/// `%40` and the like in a URL's user name or password, as typed.
fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// What happened to a proposal that people should hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    ConsultationOpened,
    VotingOpened,
    Decided,
}

impl Event {
    /// The event a proposal's new phase announces, if any.
    pub fn of(phase: Phase) -> Option<Event> {
        match phase {
            Phase::Consultatie => Some(Event::ConsultationOpened),
            Phase::Stemming => Some(Event::VotingOpened),
            Phase::Aangenomen | Phase::Verworpen => Some(Event::Decided),
            _ => None,
        }
    }
}

/// The subject and text of the message for an event.
pub fn message(event: Event, region: &RegionRow, p: &ProposalRow, link: &str) -> (String, String) {
    let deadline = |d: Option<time::OffsetDateTime>| d.map(date_time).unwrap_or_default();
    match event {
        Event::ConsultationOpened => (
            format!("{}: zienswijze gevraagd over '{}'", region.name, p.title),
            format!(
                "De regio {} vraagt uw gemeente om een zienswijze op het voorstel '{}'.\n\nGeef die uiterlijk {} \
                 (Nederlandse tijd) in Samenspel:\n{link}\n\nU ziet daar ook wat de regio met elke zienswijze doet.\n",
                region.name,
                p.title,
                deadline(p.consultation_deadline)
            ),
        ),
        Event::VotingOpened => (
            format!("{}: stemming over '{}'", region.name, p.title),
            format!(
                "De stemming over het voorstel '{}' is geopend. Als vertegenwoordiger van uw gemeente kunt u tot {} \
                 (Nederlandse tijd) stemmen, en uw stem tot dan wijzigen:\n{link}\n",
                p.title,
                deadline(p.vote_deadline)
            ),
        ),
        Event::Decided => (
            format!("{}: besluit {} over '{}'", region.name, p.decision_number.as_deref().unwrap_or_default(), p.title),
            format!(
                "Over het voorstel '{}' is besloten: {}.\n\nDe uitslag met de berekening, en wat er met de zienswijzen \
                 is gedaan:\n{link}\n",
                p.title,
                crate::governance::outcome_label(p).to_lowercase()
            ),
        ),
    }
}

/// Notifies who an event concerns, in the background, when a mailer is configured: the member
/// staff asked for input; the representatives who can vote; everyone working for a member once
/// decided.
pub fn notify(state: &AppState, region: &RegionRow, proposal: &ProposalRow) {
    let (Some(mailer), Some(event)) = (state.settings.mailer.clone(), Event::of(proposal.phase())) else {
        return;
    };
    let (store, region, proposal) = (state.store.clone(), region.clone(), proposal.clone());
    tokio::spawn(async move {
        let members: Vec<String> = match event {
            Event::ConsultationOpened => proposal.consulted(),
            _ => proposal.voters().into_iter().map(|v| v.member).collect(),
        };
        let today = samenspel_store::today();
        let recipients = match event {
            Event::VotingOpened => store.representative_addresses(region.id, &members, today).await,
            _ => store.member_staff_addresses(region.id, &members).await,
        };
        let recipients = match recipients {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "ontvangers van een melding niet te lezen");
                return;
            }
        };
        let link = mailer.link(&format!("/regios/{}/voorstellen/{}", region.code, proposal.id));
        let (subject, body) = message(event, &region, &proposal, &link);
        let failed = mailer.send_each(&recipients, &subject, &body).await;
        if failed > 0 {
            tracing::warn!(failed, total = recipients.len(), "e-mailmeldingen niet verstuurd");
        } else {
            tracing::info!(total = recipients.len(), "e-mailmeldingen verstuurd");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_smtp_with_a_real_sender_is_accepted() {
        let ok = Mailer::new("smtp://relay:2525", "Samenspel <s@regio.nl>", Some("https://s.nl/".into())).unwrap();
        assert_eq!(ok.link("/regios/x"), "https://s.nl/regios/x");
        let err = Mailer::new("smtps://user:geheim@relay", "s@regio.nl", None).unwrap_err();
        assert!(err.contains("smtp://HOST:POORT") && !err.contains("geheim"), "{err}");
        assert!(Mailer::new("relay:25", "s@regio.nl", None).is_err());
        assert!(Mailer::new("smtp://relay", "geen adres", None).unwrap_err().contains("afzender"));
        assert!(Mailer::new("smtp://a%40b:p%2Fq@relay", "s@regio.nl", None).is_ok());
        assert_eq!(percent_decode("a%40b"), "a@b");
        assert_eq!(percent_decode("p+q"), "p+q");
    }
}
