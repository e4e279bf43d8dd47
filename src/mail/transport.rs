//! The mail client: SMTP (`XOPS_SMTP_URL`, with TLS as the URL says) or, when no server is set,
//! a folder of `.eml` files for a newcomer's machine. Knows nothing of the portal's database.
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587?tls=required`, `smtps://host:465`, or none for the folder.
    pub smtp_url: Option<String>,
    /// Where mail is written when there is no SMTP server.
    pub folder: PathBuf,
    /// The sender, e.g. `Xops 360 <no-reply@axiomio.com>`.
    pub from: String,
    /// Where support requests go.
    pub support_address: String,
    pub timeout: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            folder: "data/mail".into(),
            from: "Xops 360 <no-reply@axiomio.com>".into(),
            support_address: "support@axiomio.com".into(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// One message as the portal composes it: plain text.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub to: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body: String,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    timeout: Duration,
}

impl Mailer {
    /// Checks the settings (a bad URL or sender stops the start, naming the setting).
    pub fn new(settings: &MailSettings) -> Result<Mailer, String> {
        let from: Mailbox =
            settings.from.parse().map_err(|e| format!("XOPS_MAIL_FROM `{}` is not a mail address: {e}", settings.from))?;
        settings
            .support_address
            .parse::<Mailbox>()
            .map_err(|e| format!("XOPS_SUPPORT_EMAIL `{}` is not a mail address: {e}", settings.support_address))?;
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    // The URL may hold a password: never repeat it.
                    .map_err(|e| format!("XOPS_SMTP_URL is not an SMTP URL like smtp://user:password@host:587?tls=required ({})", without_url(&e.to_string())))?
                    .timeout(Some(settings.timeout))
                    .build(),
            ),
            None => {
                create_private_folder(&settings.folder)?;
                Transport::Folder(AsyncFileTransport::<Tokio1Executor>::new(&settings.folder))
            }
        };
        Ok(Mailer { transport, from, timeout: settings.timeout })
    }

    /// Where mail goes, for the start-up log (no password).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP (XOPS_SMTP_URL)".into(),
            Transport::Folder(_) => "a folder of .eml files (XOPS_MAIL_DIR): nothing is sent".into(),
        }
    }

    /// Sends one letter; the error says what went wrong in a line, for the outbox.
    pub async fn send(&self, letter: &Letter) -> Result<(), String> {
        let message = compose(&self.from, letter)?;
        let sent = match &self.transport {
            Transport::Smtp(smtp) => {
                tokio::time::timeout(self.timeout, smtp.send(message)).await.map_err(|_| "the mail server did not answer in time".to_string())?.map(|_| ()).map_err(|e| e.to_string())
            }
            Transport::Folder(folder) => folder.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        };
        sent.map_err(|e| one_line(&without_url(&e)))
    }
}

fn compose(from: &Mailbox, letter: &Letter) -> Result<Message, String> {
    let mailbox = |text: &str| text.parse::<Mailbox>().map_err(|e| format!("`{text}` is not a mail address: {e}"));
    let mut builder = Message::builder().from(from.clone()).to(mailbox(&letter.to)?).subject(letter.subject.clone());
    if let Some(reply_to) = &letter.reply_to {
        builder = builder.reply_to(mailbox(reply_to)?);
    }
    builder.header(ContentType::TEXT_PLAIN).body(letter.body.clone()).map_err(|e| e.to_string())
}

/// The folder holds sign-up links: only the portal's user may read it.
fn create_private_folder(folder: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(folder).map_err(|e| format!("cannot create the mail folder {}: {e}", folder.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot make the mail folder {} private: {e}", folder.display()))?;
    }
    Ok(())
}

/// lettre's errors may quote the connection URL, which may hold the SMTP password.
fn without_url(text: &str) -> String {
    text.split_whitespace()
        .map(|word| if word.contains("://") || word.contains('@') && word.contains(':') { "[url]" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

fn one_line(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_has_its_reply_to_and_plain_text_body() {
        let from: Mailbox = "Xops 360 <no-reply@axiomio.com>".parse().unwrap();
        let letter = Letter {
            to: "support@axiomio.com".into(),
            reply_to: Some("ada@example.com".into()),
            subject: "Help".into(),
            body: "Line one\nLine two".into(),
        };
        let text = String::from_utf8(compose(&from, &letter).unwrap().formatted()).unwrap();
        assert!(text.contains("Reply-To: ada@example.com"), "{text}");
        assert!(text.contains("To: support@axiomio.com") && text.contains("Subject: Help"), "{text}");
        assert!(text.contains("Content-Type: text/plain; charset=utf-8"), "{text}");
        let bad = Letter { to: "not an address".into(), ..letter };
        assert!(compose(&from, &bad).is_err());
    }

    #[test]
    fn settings_are_checked_and_passwords_never_repeated() {
        let bad_url = MailSettings { smtp_url: Some("ftp://user:hunter2@host".into()), ..Default::default() };
        let err = Mailer::new(&bad_url).err().unwrap_or_default();
        assert!(err.starts_with("XOPS_SMTP_URL") && !err.contains("hunter2"), "{err}");
        let bad_from = MailSettings { from: "nobody".into(), ..Default::default() };
        assert!(Mailer::new(&bad_from).err().unwrap_or_default().starts_with("XOPS_MAIL_FROM"));
        assert_eq!(without_url("connection to smtp://u:p@h:25 refused"), "connection to [url] refused");
    }
}
