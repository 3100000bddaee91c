DROP TABLE post_images;
DROP TABLE uploads;
