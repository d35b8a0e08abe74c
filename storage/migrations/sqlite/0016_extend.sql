-- Extend (issue 24): a done film continued by N more scenes, delivered as its next version. The
-- version row says how many scenes it added (`added`, 0 for a reroll; `scene` is then the first
-- new one) and keeps the shot list before it, put back when the extension fails or is
-- cancelled (its new clips are removed then). A clip that starts from the last frame of the
-- scene before it outside a chained film (the first scene of an extension) says so (`chained`).
ALTER TABLE versions ADD COLUMN added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN previous_shot_list TEXT;
ALTER TABLE clips ADD COLUMN chained INTEGER NOT NULL DEFAULT 0;
-- Recast (issue 24): a version that makes one character's portrait again (`recast`, the cast
-- member's index) and renders again every scene showing them (`scene` the first of them); the
-- takes it replaces (and the portrait), as JSON, put back when it fails or is cancelled.
ALTER TABLE versions ADD COLUMN recast INTEGER;
ALTER TABLE versions ADD COLUMN previous_takes TEXT;
