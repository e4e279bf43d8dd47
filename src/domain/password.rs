use crate::error::AppError;

/// A new password as chosen at sign-up. Only its length is ruled (8 to 128 characters): length
/// is what makes a password strong, and composition rules push people to worse ones.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const FIELD: &'static str = "password";
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(AppError::invalid(Self::FIELD, "Use at least 8 characters for your password."));
        }
        if len > Self::MAX_LEN {
            return Err(AppError::invalid(Self::FIELD, "Use at most 128 characters for your password."));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a password, even by accident in a debug log.
impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_8_to_128_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok(), "counted in characters, not bytes");
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::parse("correct horse").unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{p:?}").contains("horse"));
    }
}
