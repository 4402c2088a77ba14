// Entry point of the bundle: mounts the player found on the page and exposes it as
// window.sonatinaPlayer (used by the end-to-end test to check that sound really flows).
import "./player.css";
import { Player } from "./player.js";

const root = document.querySelector("[data-sonatina-player]");
if (root) {
  const player = new Player(root);
  window.sonatinaPlayer = player;
  if (new URLSearchParams(window.location.search).get("autoplay") === "1") {
    player.ready.then(() => player.play()).catch(() => {});
  }
}
