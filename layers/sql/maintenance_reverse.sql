DROP FUNCTION gridcity_analyze(text, text[]);
DROP FUNCTION gridcity_links_on(text, text);
DROP FUNCTION gridcity_links_off(text);
DROP SCHEMA gridcity_private CASCADE;
