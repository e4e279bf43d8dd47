-- 1 once a certificate's sealed key is bound to its organization and thumbprint (AES-GCM
-- associated data); rows sealed before are re-sealed at start (integrations::microsoft::certificates).
ALTER TABLE certificates ADD COLUMN sealed_bound INTEGER NOT NULL DEFAULT 0;
