-- Start images (issue 11 §2). A generation made from a member's image keeps the image's file
-- (validated, in the generation's media folder): the first frame of scene 1. A clip that
-- starts from an image keeps the URL it was uploaded to at Replicate (its files API), stored
-- before the prediction is created: a restarted bot builds the very same input again, so a
-- create in flight is found by its input instead of being made twice.
ALTER TABLE generations ADD COLUMN start_image_path TEXT;
ALTER TABLE clips ADD COLUMN start_image_url TEXT;
