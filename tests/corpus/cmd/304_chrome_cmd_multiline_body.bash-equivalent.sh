# derived: a caret at the end of a line joins the next line and escapes its first character, so ^<LF><LF> is one literal LF inside the argument; ^ä -> ä.
curl 'http://ECHO/api/notes/shopping' \
  -H 'accept: */*' \
  -H 'content-type: text/plain;charset=UTF-8' \
  -H 'origin: https://notes.example.com' \
  -H 'user-agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' \
  --data-raw $'Einkaufsliste:\n- Käse (100% Bio)\n- Brot & Butter\n\nDanke!'
