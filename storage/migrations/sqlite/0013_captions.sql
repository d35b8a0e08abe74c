-- Captions (issue 22): the narration's lines shown as words, stored with the generation so a
-- resumed run or a reroll captions its film the same way. `off`: none; `track`: a mov_text
-- subtitle stream in the mp4 (players that show tracks); `burned`: drawn into the picture.
ALTER TABLE generations ADD COLUMN captions TEXT NOT NULL DEFAULT 'off';
