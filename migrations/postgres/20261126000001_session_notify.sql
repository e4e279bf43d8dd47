-- Every update or delete of a session notifies its stored id on `xops_sessions`, so replicas
-- that keep sessions in memory (XOPS_SESSION_CACHE=notify) drop it. NOTIFY is sent at commit.
CREATE FUNCTION xops_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('xops_sessions', OLD.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION xops_session_changed();
