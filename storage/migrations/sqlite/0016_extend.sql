-- Extend (issue 24): a done film continued by N more scenes, delivered as its next version. The
-- version row says how many scenes it added (`added`, 0 for a reroll; `scene` is then the first
-- new one) and keeps the shot list before it, put back when the extension fails or is
-- cancelled (its new clips are removed then). A clip that starts from the last frame of the
-- scene before it outside a chained film (the first scene of an extension) says so (`chained`).
ALTER TABLE versions ADD COLUMN added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN previous_shot_list TEXT;
ALTER TABLE clips ADD COLUMN chained INTEGER NOT NULL DEFAULT 0;
