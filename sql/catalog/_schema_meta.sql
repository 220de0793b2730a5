-- Private: key/value facts about the warehouse itself (schema version, creating versions).
CREATE TABLE IF NOT EXISTS _schema_meta (
    key VARCHAR NOT NULL,
    value VARCHAR
);
