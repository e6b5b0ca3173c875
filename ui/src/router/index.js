// The module's pages; the admin shell asks for one through the `page` query parameter.
import Vue from "vue";
import VueRouter from "vue-router";
import Status from "../views/Status.vue";

Vue.use(VueRouter);

const routes = [
  { path: "/", redirect: "/status" },
  { path: "/status", name: "status", component: Status },
  {
    path: "/settings",
    name: "settings",
    component: () => import("../views/Settings.vue"),
  },
  { path: "/tasks", name: "tasks", component: () => import("../views/Tasks.vue") },
  { path: "/about", name: "about", component: () => import("../views/About.vue") },
  { path: "*", redirect: "/status" },
];

export default new VueRouter({ routes });
